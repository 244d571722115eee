/** Task operations: enqueue, claim/settle, extend, upkeep, cancel, get. One script call per batch. */
import { text } from "./codec";
import { asArray, type QueueContext } from "./context";
import { tasksKey } from "./keys";
import { packEnqueue, statusOf, toClaimedTask, toTaskRecord } from "./records";
import { cancelScript } from "./scripts/cancel";
import { enqueueScript } from "./scripts/enqueue";
import { extendScript } from "./scripts/extend";
import { settleScript } from "./scripts/settle";
import { upkeepScript } from "./scripts/upkeep";
import type {
  ClaimedTask, EnqueueRequest, EnqueueResult, ExtendedLease, LeaseExtension, SettleOutcome, TaskCompletion,
  ReplayMark, TaskFailure, TaskRecord, UpkeepResult, PushInfo,
} from "./types";
import { checkBatch, encodePayload, errorText, validateQueueName, validateTaskId } from "./validate";
import { ErrorCode, ValidationError } from "./errors";

/**
 * When this isolate last registered each queue (prefix "\n" queue → ms). An enqueue sends the registry
 * key, and so locks it on Upstash, only when the queue has not been registered here for a minute:
 * registering is idempotent, and redoing it now and then puts back a queue lost with a data loss.
 */
const registeredAt = new Map<string, number>();
const REGISTER_EVERY_MS = 60_000;

function registrationDue(ctx: QueueContext, queue: string, now: number): boolean {
  const at = registeredAt.get(`${ctx.prefix}\n${queue}`);
  return at === undefined || now - at >= REGISTER_EVERY_MS || now < at;
}

export async function enqueue(ctx: QueueContext, queue: string, tasks: EnqueueRequest[]): Promise<EnqueueResult[]> {
  return (await enqueueAndPeek(ctx, queue, tasks, false)).results;
}

/** The enqueue, and (when `withPushInfo`) in the same request what the push to a worker needs. */
export async function enqueueAndPeek(
  ctx: QueueContext,
  queue: string,
  tasks: EnqueueRequest[],
  withPushInfo: boolean,
): Promise<{ results: EnqueueResult[]; pushInfo: PushInfo | null }> {
  validateQueueName(queue);
  checkBatch(tasks, "tasks");
  if (tasks.length === 0) return { results: [], pushInfo: null };
  const now = ctx.now();
  const packed = tasks.map((task, i) => packEnqueue(queue, task, i, now, ctx.maxInputBytes));
  const reply = await runEnqueue(ctx, queue, now, packed, withPushInfo);
  return { results: enqueueResults(tasks, reply.results, 0, now), pushInfo: reply.pushInfo };
}

/**
 * Several callers' enqueues into one queue in one script call (a group commit, src/http/enqueue-coalescer.ts):
 * each group is checked on its own, so one group's bad task fails that group alone, with its field
 * named as in a call of its own; the others are stored and answered as if each had called alone.
 */
export async function enqueueGroups(
  ctx: QueueContext,
  queue: string,
  groups: EnqueueRequest[][],
): Promise<{ outcomes: (EnqueueResult[] | Error)[]; pushInfo: PushInfo | null }> {
  validateQueueName(queue);
  const now = ctx.now();
  const packedGroups = groups.map((tasks) => {
    try {
      checkBatch(tasks, "tasks");
      return tasks.map((task, i) => packEnqueue(queue, task, i, now, ctx.maxInputBytes));
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  const packed = packedGroups.flatMap((group) => (group instanceof Error ? [] : group));
  if (packed.length === 0) return { outcomes: packedGroups as Error[], pushInfo: null };
  const reply = await runEnqueue(ctx, queue, now, packed, true);
  let offset = 0;
  const outcomes = packedGroups.map((group, g) => {
    if (group instanceof Error) return group;
    const results = enqueueResults(groups[g]!, reply.results, offset, now);
    offset += group.length;
    return results;
  });
  return { outcomes, pushInfo: reply.pushInfo };
}

async function runEnqueue(ctx: QueueContext, queue: string, now: number, packed: string[][], withPushInfo: boolean) {
  const args = [queue, String(packed.length), withPushInfo ? "1" : "0"];
  for (const task of packed) args.push(...task);
  const register = registrationDue(ctx, queue, now);
  const [rawResults, rawPushInfo] = asArray(await ctx.run(enqueueScript, queue, now, args, { registry: register }));
  if (register) registeredAt.set(`${ctx.prefix}\n${queue}`, now);
  const [paused, maxParallel, epoch] = asArray(rawPushInfo);
  const info: PushInfo = {
    paused: paused != null && String(paused) === "1",
    maxParallel: maxParallel == null ? ctx.defaults.maxParallel : Number(maxParallel),
    pushEpoch: epoch == null ? 0 : Number(epoch),
  };
  return { results: asArray(rawResults), pushInfo: withPushInfo ? info : null };
}

/** The script's id, state, duplicate triples of `tasks`, found from the `offset`-th task on. */
function enqueueResults(tasks: EnqueueRequest[], reply: unknown[], offset: number, now: number): EnqueueResult[] {
  return tasks.map((task, i) => {
    const at = (offset + i) * 3;
    const result: EnqueueResult = { id: text(reply[at]), status: statusOf(text(reply[at + 1])), duplicate: text(reply[at + 2]) === "1" };
    // packEnqueue's own arithmetic, so a delayed push can be asked for the second the task falls due
    if (result.status === "delayed" && !result.duplicate) result.runAt = task.runAt ?? now + (task.delayMs ?? 0);
    return result;
  });
}

function leaseArg(leaseMs: number | undefined): string {
  if (leaseMs === undefined) return "";
  if (!Number.isInteger(leaseMs) || leaseMs < 1 || leaseMs > 24 * 3_600_000) {
    throw new ValidationError(ErrorCode.InvalidArgument, "leaseMs", "must be an integer in [1, 86400000]");
  }
  return String(leaseMs);
}

function token(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 64) {
    throw new ValidationError(ErrorCode.InvalidArgument, field, "must be the lease token of a claim");
  }
  return value;
}

/** ARGV[7..10] of the settle script: a worker invocation's start (invocation-start.ts), or none. */
export interface StartArgs {
  queue: string;
  replayMark?: ReplayMark;
}

/** One settle script call: settle these, then claim up to `claimMax` (0: none) under `leaseMs`. */
export interface SettleRequest {
  completions?: TaskCompletion[];
  failures?: TaskFailure[];
  claimMax?: number;
  leaseMs?: number;
  /** Start a worker invocation first (invocation-start.ts). */
  start?: StartArgs;
}

/**
 * complete, fail, claim and settleAndClaim: the settle script does all three in one call; with
 * `start`, it starts a worker invocation first and its reply's `start` is scripts/start.ts's.
 */
export async function settle(
  ctx: QueueContext,
  queue: string,
  request: SettleRequest,
): Promise<{ outcomes: SettleOutcome[]; claimed: ClaimedTask[]; start: unknown[]; nextDueAt: number | null }> {
  const { completions = [], failures = [], claimMax = 0, leaseMs, start } = request;
  validateQueueName(queue);
  checkBatch(completions, "completions");
  checkBatch(failures, "failures");
  if (!Number.isInteger(claimMax) || claimMax < 0 || claimMax > 10_000) {
    throw new ValidationError(ErrorCode.InvalidArgument, "max", "must be an integer in [0, 10000]");
  }
  const args = [String(claimMax), leaseArg(leaseMs), String(completions.length), String(failures.length)];
  const mark = start?.replayMark;
  args.push(start?.queue ?? "", start ? String(ctx.defaults.batchSize) : "", mark ? String(mark.ttlMs) : "", mark?.value ?? "");
  completions.forEach((c, i) => {
    const at = `completions[${i}]`;
    const result = encodePayload(c.result === undefined ? null : c.result, `${at}.result`, ctx.maxInputBytes);
    args.push(validateTaskId(c.id, `${at}.id`), token(c.leaseToken, `${at}.leaseToken`), result);
  });
  failures.forEach((f, i) => {
    const at = `failures[${i}]`;
    args.push(validateTaskId(f.id, `${at}.id`), token(f.leaseToken, `${at}.leaseToken`), errorText(f.error, `${at}.error`));
    args.push(f.retryable === false ? "0" : "1", String(Math.random()));
  });
  if (!start && claimMax === 0 && completions.length === 0 && failures.length === 0) return { outcomes: [], claimed: [], start: [], nextDueAt: null };
  const now = ctx.now();
  const [rawOutcomes, rawClaimed, rawMax, rawStart, rawDue] = asArray(await ctx.run(settleScript, queue, now, args, { replayMark: mark?.key }));
  const codes = asArray(rawOutcomes);
  const settledIds = [...completions.map((c) => c.id), ...failures.map((f) => f.id)];
  const outcomes = settledIds.map((id, i): SettleOutcome => {
    const code = Number(codes[2 * i]);
    if (code === 1) return { id, outcome: "succeeded" };
    if (code === 2) return { id, outcome: "retrying", runAt: Number(codes[2 * i + 1]) };
    if (code === 3) return { id, outcome: "dead" };
    return { id, outcome: "stale" };
  });
  const claimedFlat = asArray(rawClaimed);
  const defaultMax = Number(rawMax);
  const claimed: ClaimedTask[] = [];
  for (let i = 0; i < claimedFlat.length; i += 2) claimed.push(toClaimedTask(text(claimedFlat[i]), claimedFlat[i + 1], defaultMax));
  const due = rawDue == null ? "" : text(rawDue);
  return { outcomes, claimed, start: asArray(rawStart ?? []), nextDueAt: due === "" ? null : Number(due) };
}

export async function extendLeases(ctx: QueueContext, queue: string, leases: LeaseExtension[], leaseMs?: number): Promise<ExtendedLease[]> {
  validateQueueName(queue);
  checkBatch(leases, "leases");
  if (leases.length === 0) return [];
  const args = [leaseArg(leaseMs)];
  leases.forEach((l, i) => args.push(validateTaskId(l.id, `leases[${i}].id`), token(l.leaseToken, `leases[${i}].leaseToken`)));
  const reply = asArray(await ctx.run(extendScript, queue, ctx.now(), args));
  return leases.map((l, i) => {
    const ok = Number(reply[3 * i]) === 1;
    return { id: l.id, leaseToken: ok ? text(reply[3 * i + 1]) : null, leaseUntil: ok ? Number(reply[3 * i + 2]) : null };
  });
}

export async function upkeep(ctx: QueueContext, queue: string, limit = 1000): Promise<UpkeepResult> {
  validateQueueName(queue);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new ValidationError(ErrorCode.InvalidArgument, "limit", "must be an integer in [1, 10000]");
  }
  const [promoted, requeued, dead, expired, more] = asArray(await ctx.run(upkeepScript, queue, ctx.now(), [String(limit), queue]));
  return { promoted: Number(promoted), requeued: Number(requeued), dead: Number(dead), expired: Number(expired), more: Number(more) === 1 };
}

/** One HMGET on the global tasks hash: a result read is one command. */
export async function getMany(ctx: QueueContext, ids: string[]): Promise<(TaskRecord | null)[]> {
  checkBatch(ids, "ids");
  if (ids.length === 0) return [];
  ids.forEach((id, i) => validateTaskId(id, `ids[${i}]`));
  const reply: unknown = await ctx.redis.hmget(tasksKey(ctx.prefix), ...ids);
  const now = ctx.now();
  // automaticDeserialization off: the raw array; on: an object keyed by field, or null when all are nil
  const raw = (i: number): unknown =>
    Array.isArray(reply) ? reply[i] : reply && typeof reply === "object" ? (reply as Record<string, unknown>)[ids[i]!] : null;
  return ids.map((id, i) => toTaskRecord(id, raw(i), ctx.defaults.maxAttempts, now));
}

/**
 * Cancel needs each task's queue (its keys go in KEYS): one HMGET finds them, then one script per
 * queue re-checks the state atomically. Returns the ids actually canceled.
 */
export async function cancel(ctx: QueueContext, ids: string[]): Promise<string[]> {
  const records = await getMany(ctx, ids);
  const byQueue = new Map<string, string[]>();
  records.forEach((record, i) => {
    if (record && (record.status === "queued" || record.status === "delayed")) {
      byQueue.set(record.queue, [...(byQueue.get(record.queue) ?? []), ids[i]!]);
    }
  });
  const canceled: string[] = [];
  for (const [queue, queueIds] of byQueue) {
    const codes = asArray(await ctx.run(cancelScript, queue, ctx.now(), [queue, ...queueIds]));
    queueIds.forEach((id, i) => Number(codes[i]) === 1 && canceled.push(id));
  }
  return canceled;
}
