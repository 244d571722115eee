/** Queue-level operations: figures, settings, the registry, the dead-letter set. */
import { text } from "./codec";
import { asArray, runQueueScript, type QueueContext } from "./context";
import { QueueNotFoundError, ValidationError, ErrorCode } from "./errors";
import { partitionOf, taskIdOf } from "./ids";
import { queueKeys, registryKey } from "./keys";
import { register } from "./registry";
import { toTaskRecord } from "./records";
import { deadScript } from "./scripts/dead";
import { deadPageScript } from "./scripts/dead-page";
import { COUNTER_FIELDS, statsScript, STATS_ARGS } from "./scripts/stats";
import { runScript } from "./scripts/runner";
import { settingsScript, SETTINGS_READ } from "./scripts/settings";
import { settingsFromMeta, settingsPatchToFields } from "./settings";
import type { QueueCounts, QueueSettings, QueueSettingsPatch, QueueSummary, TaskRecord } from "./types";
import { checkBatch, localTaskId, validateQueueName } from "./validate";

/**
 * Depths come from the structures (list/zset sizes) and totals from counters the scripts bump in
 * the same call as the state change. `running` has no structure of its own (a claim writes only a
 * sweep entry per batch), so it is derived: live tasks = enqueued + retried - succeeded - dead -
 * canceled, minus those queued and delayed.
 */
export async function getQueue(ctx: QueueContext, queue: string): Promise<QueueSummary> {
  validateQueueName(queue);
  const read = async () =>
    summaryFromStats(queue, asArray(await runScript(ctx.redis, statsScript, queueKeys(ctx.prefix, queue, statsScript.keys), [queue, ...STATS_ARGS])), ctx.defaults);
  const summary = (await read()) ?? ((await movedFromRegistry(ctx, queue)) ? await read() : null);
  if (!summary) throw new QueueNotFoundError(queue);
  return summary;
}

/** A queue whose count an old registry kept (registry.ts) gets it in its stats hash; false when there was none. */
async function movedFromRegistry(ctx: QueueContext, queue: string): Promise<boolean> {
  const reply: unknown = await ctx.redis.hmget(registryKey(ctx.prefix), queue);
  // automaticDeserialization off: an array; on: an object keyed by field, or null
  const entry = Array.isArray(reply) ? reply[0] : reply && typeof reply === "object" ? (reply as Record<string, unknown>)[queue] : null;
  if (entry == null || text(entry) === "0") return false;
  await register(ctx, queue);
  return true;
}

/** The stats script's reply (the start script's too, see scripts/start.ts) as figures; null for an unknown queue. */
export function summaryFromStats(queue: string, reply: unknown[], defaults: QueueSettings): QueueSummary | null {
  const [enqueued, stored, totals, prio, delayed, dead] = reply;
  if (enqueued === null || enqueued === undefined) return null;
  const settings = settingsFromMeta(asArray(stored), defaults);
  const totalOf = asArray(totals);
  const counter = (name: (typeof COUNTER_FIELDS)[number]): number => Number(totalOf[COUNTER_FIELDS.indexOf(name)] ?? 0);
  // keyed tasks (flow control) wait in their partitions' flow queues or are held back: counted apart
  const queued = counter("_rdy") + Number(prio) - counter("_tomb") + Math.max(0, counter("_fq"));
  const live = Number(enqueued) + counter("retried") - counter("succeeded") - counter("dead") - counter("canceled");
  const counts: QueueCounts = {
    delayed: Number(delayed),
    queued,
    running: Math.max(0, live - queued - Number(delayed)),
    dead: Number(dead),
    enqueued: Number(enqueued),
    succeeded: counter("succeeded"),
    failed: counter("failed"),
    canceled: counter("canceled"),
  };
  return { name: queue, settings, counts };
}

export async function listQueues(ctx: QueueContext): Promise<QueueSummary[]> {
  const names = (await ctx.redis.hkeys(registryKey(ctx.prefix))).map(text).sort();
  return Promise.all(names.map((name) => getQueue(ctx, name)));
}

/** Stores the patch (validated first) and registers the queue; returns the effective settings. */
export async function updateSettings(ctx: QueueContext, queue: string, patch: QueueSettingsPatch): Promise<QueueSettings> {
  validateQueueName(queue);
  if (typeof patch !== "object" || patch === null) throw new ValidationError(ErrorCode.InvalidArgument, "settings", "must be an object");
  const fields = Object.entries(settingsPatchToFields(patch)).flat();
  await register(ctx, queue);
  const args = ["0", String(SETTINGS_READ.length), ...SETTINGS_READ, ...fields];
  const values = asArray(await runScript(ctx.redis, settingsScript, queueKeys(ctx.prefix, queue, settingsScript.keys), args));
  return settingsFromMeta(values, ctx.defaults);
}

export async function listDead(ctx: QueueContext, queue: string, options: { offset?: number; limit?: number } = {}): Promise<TaskRecord[]> {
  validateQueueName(queue);
  const offset = options.offset ?? 0;
  const limit = options.limit ?? 100;
  if (!Number.isInteger(offset) || offset < 0) throw new ValidationError(ErrorCode.InvalidArgument, "offset", "must be a non-negative integer");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError(ErrorCode.InvalidArgument, "limit", "must be an integer in [1, 1000]");
  const flat = asArray(await runQueueScript(ctx.redis, ctx.prefix, deadPageScript, queue, [String(offset), String(limit)]));
  const now = ctx.now();
  const records: TaskRecord[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const record = toTaskRecord(taskIdOf(queue, text(flat[i])), flat[i + 1], ctx.defaults.maxAttempts, now);
    if (record) records.push(record);
  }
  return records;
}

const DEAD_CHUNK = 1000;

/** Retry or purge: given ids in chunks, or the whole set a chunk per call until the script says no more. */
export async function handleDead(ctx: QueueContext, queue: string, mode: "retry" | "purge", ids?: string[]): Promise<number> {
  validateQueueName(queue);
  const call = async (chunk: string[]) => {
    const labels = chunk.map(partitionOf);
    const [handled, more] = asArray(await ctx.run(deadScript, queue, ctx.now(), [queue, mode, String(DEAD_CHUNK), ...chunk], { labels }));
    return { handled: Number(handled), more: Number(more) === 1 };
  };
  let total = 0;
  if (ids !== undefined) {
    checkBatch(ids, "ids");
    const locals = ids.map((id, i) => localTaskId(queue, id, `ids[${i}]`));
    for (let i = 0; i < locals.length; i += DEAD_CHUNK) total += (await call(locals.slice(i, i + DEAD_CHUNK))).handled;
    return total;
  }
  for (;;) {
    const { handled, more } = await call([]);
    total += handled;
    if (!more) return total;
  }
}
