/**
 * What GET /v1/queues/{queue}/flow shows: the flow-control keys of a queue with their waiting, held
 * and running tasks and their limits, read from the FLOW hash the scripts keep (scripts/pieces/
 * flow-state.ts gives the layout). Running counts leases not yet expired, as the claim does.
 */
import { escapeField, fromBase36, text, unescapeField } from "../codec";
import type { QueueContext } from "../context";
import { queueKeyMap } from "../keys";
import type { FlowKeyState, FlowPage, FlowTotals } from "../types";
import { validateQueueName } from "../validate";
import { DEFAULT_FLOW_PERIOD_MS } from "./control";

function groups(textValue: string | undefined): { at: number; n: number }[] {
  if (!textValue) return [];
  return textValue.split(",").map((group) => {
    const [at, n] = group.split(":");
    return { at: fromBase36(at) ?? 0, n: Number(n) || 0 };
  });
}

/** One key's field as the public shape; `now` decides which leases and starts still count. */
export function parseFlowKey(key: string, value: string, now: number): FlowKeyState {
  const [par, rate, period, , waiting, held, leases, starts] = value.split("|");
  const periodMs = Number(period) || DEFAULT_FLOW_PERIOD_MS;
  const running = groups(leases).reduce((sum, g) => sum + (g.at > now ? g.n : 0), 0);
  const startedInPeriod = groups(starts).reduce((sum, g) => sum + (g.at > now - periodMs ? g.n : 0), 0);
  return {
    key: unescapeField(key),
    waiting: Math.max(0, Number(waiting) || 0),
    held: Math.max(0, Number(held) || 0),
    running,
    startedInPeriod,
    parallelism: Number(par) || null,
    rate: Number(rate) || null,
    periodMs,
  };
}

export function parseFlowTotals(value: string | null | undefined): FlowTotals {
  const [, active, queued, held] = (value ?? "").split("|");
  return { activeKeys: Number(active) || 0, queued: Number(queued) || 0, held: Number(held) || 0 };
}

/** Busiest first: running, then waiting and held tasks; keys with none of them are left out. */
export async function readFlow(ctx: QueueContext, queue: string, offset = 0, limit = 100): Promise<FlowPage> {
  validateQueueName(queue);
  const flowKey = queueKeyMap(ctx.prefix, queue).flow;
  const fields = (await ctx.redis.hkeys(flowKey)).map(text);
  const values = fields.length === 0 ? [] : (await ctx.redis.hmget(flowKey, ...fields)) as unknown;
  const valueOf = (i: number): string | null => {
    const v = Array.isArray(values) ? values[i] : values && typeof values === "object" ? (values as Record<string, unknown>)[fields[i]!] : null;
    return v === null || v === undefined ? null : text(v);
  };
  const now = ctx.now();
  let totals: FlowTotals = { activeKeys: 0, queued: 0, held: 0 };
  const keys: FlowKeyState[] = [];
  fields.forEach((field, i) => {
    const value = valueOf(i);
    if (field === "") totals = parseFlowTotals(value);
    else if (value !== null) keys.push(parseFlowKey(field, value, now));
  });
  const busy = keys.filter((k) => k.running + k.waiting + k.held > 0);
  busy.sort((a, b) => b.running - a.running || b.waiting + b.held - (a.waiting + a.held) || (a.key < b.key ? -1 : 1));
  return { queue, ...totals, total: busy.length, offset, limit, keys: busy.slice(offset, offset + limit) };
}

/** The queue's flow totals alone (one HMGET): what /metrics shows, never a series per key. */
export async function readFlowTotals(ctx: QueueContext, queue: string): Promise<FlowTotals> {
  validateQueueName(queue);
  const reply: unknown = await ctx.redis.hmget(queueKeyMap(ctx.prefix, queue).flow, "");
  const raw = Array.isArray(reply) ? reply[0] : reply && typeof reply === "object" ? Object.values(reply as Record<string, unknown>)[0] : null;
  return parseFlowTotals(raw === null || raw === undefined ? null : text(raw));
}

/** One key's state, idle or not; null for a key the queue has never seen. */
export async function readFlowKey(ctx: QueueContext, queue: string, key: string): Promise<FlowKeyState | null> {
  validateQueueName(queue);
  const reply: unknown = await ctx.redis.hmget(queueKeyMap(ctx.prefix, queue).flow, escapeField(key));
  const raw = Array.isArray(reply) ? reply[0] : reply && typeof reply === "object" ? Object.values(reply as Record<string, unknown>)[0] : null;
  return raw === null || raw === undefined ? null : parseFlowKey(escapeField(key), text(raw), ctx.now());
}
