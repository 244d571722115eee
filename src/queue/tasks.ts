/** Task operations: enqueue, claim/settle, extend, upkeep, cancel, get. One script call per batch. */
import { text } from "./codec";
import { asArray, type QueueContext, type ScriptKeys } from "./context";
import { addToHint, claimHint, countClaimRerun, rememberHint } from "./claim-hints";
import { dedupPartitionOf, dedupSweepHome, generatedPartitions, partitionOf, splitTaskId, taskIdOf } from "./ids";
import { legacyTasksKey, partitionKeys, replayMarkKey } from "./keys";
import { packEnqueue, priorityOf, statusOf, toClaimedTask, toTaskRecord } from "./records";
import { register, registrationDue } from "./registry";
import { cancelScript } from "./scripts/cancel";
import { enqueueScript } from "./scripts/enqueue";
import { extendScript } from "./scripts/extend";
import { settleScript } from "./scripts/settle";
import { upkeepScript } from "./scripts/upkeep";
import type {
  ClaimedTask, EnqueueRequest, EnqueueResult, ExtendedLease, LeaseExtension, SettleOutcome, TaskCompletion,
  ReplayMark, TaskFailure, TaskRecord, UpkeepResult, PushInfo,
} from "./types";
import { checkBatch, encodePayload, errorText, localTaskId, validateQueueName, validateTaskRef } from "./validate";
import { ErrorCode, ValidationError } from "./errors";

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
  const labels = new Set<string>();
  const dedupLabels = new Set<string>();
  for (const task of packed) {
    args.push(...task.slice(0, 5));
    labels.add(task[5]!);
    // a dedup key's entry lives in the hashed partition of the key (ids.ts dedupPartitionOf)
    if (task[2]) dedupLabels.add(dedupPartitionOf(task[2]));
  }
  // and the keys' expiry list may live in the hashed partition of this second (scripts/enqueue.ts)
  if (dedupLabels.size > 0) dedupLabels.add(dedupSweepHome(now));
  // the registry is outside the queue's hash tag: listed by a call of its own, in the same request
  const listing = registrationDue(ctx, queue, now) ? register(ctx, queue) : undefined;
  // before the call: a claim sent while it is in flight may run after it, and then holds its partitions
  addToHint(ctx.prefix, queue, labels);
  const [reply] = await Promise.all([ctx.run(enqueueScript, queue, now, args, { labels: [...labels, ...dedupLabels] }), listing]);
  const [rawResults, rawPushInfo] = asArray(reply);
  const [paused, maxParallel, epoch, live] = asArray(rawPushInfo);
  const info: PushInfo = {
    paused: paused != null && String(paused) === "1",
    maxParallel: maxParallel == null ? ctx.defaults.maxParallel : Number(maxParallel),
    pushEpoch: epoch == null ? 0 : Number(epoch),
    live: live != null && String(live) === "1",
  };
  const results = asArray(rawResults);
  for (let i = 0; i < results.length; i += 3) results[i] = taskIdOf(queue, text(results[i]));
  return { results, pushInfo: withPushInfo ? info : null };
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
  const labels = new Set<string>();
  const local = (id: unknown, field: string) => {
    const l = localTaskId(queue, id, field);
    labels.add(partitionOf(l));
    return l;
  };
  completions.forEach((c, i) => {
    const at = `completions[${i}]`;
    const result = encodePayload(c.result === undefined ? null : c.result, `${at}.result`, ctx.maxInputBytes);
    args.push(local(c.id, `${at}.id`), token(c.leaseToken, `${at}.leaseToken`), result);
  });
  failures.forEach((f, i) => {
    const at = `failures[${i}]`;
    args.push(local(f.id, `${at}.id`), token(f.leaseToken, `${at}.leaseToken`), errorText(f.error, `${at}.error`));
    args.push(f.retryable === false ? "0" : "1", String(Math.random()));
  });
  if (!start && claimMax === 0 && completions.length === 0 && failures.length === 0) return { outcomes: [], claimed: [], start: [], nextDueAt: null };
  if (claimMax > 0 || start) for (const label of claimHint(ctx.prefix, queue)) labels.add(label);
  // [edge, issue 11] what other isolates enqueued lately (their partitions are not in this hint)
  if (claimMax > 0 || start) for (const label of generatedPartitions(ctx.now() - RECENT_PARTITIONS_MS, ctx.now() + 32)) labels.add(label);
  const reply = await runSettle(ctx, queue, args, { replayMark: mark ? replayMarkKey(ctx.prefix, queue, mark.key) : undefined, labels });
  const codes = asArray(reply.rawOutcomes);
  const settledIds = [...completions.map((c) => c.id), ...failures.map((f) => f.id)];
  const outcomes = settledIds.map((id, i): SettleOutcome => {
    const code = Number(codes[2 * i]);
    if (code === 1) return { id, outcome: "succeeded" };
    if (code === 2) return { id, outcome: "retrying", runAt: Number(codes[2 * i + 1]) };
    if (code === 3) return { id, outcome: "dead" };
    return { id, outcome: "stale" };
  });
  let { claimed, priorities } = reply;
  // the claim stopped at a partition this call did not hold: claim the rest now, with the hint
  const wanted = start ? Number(asArray(reply.start)[0]) === 2 : claimMax > 0;
  const max = reply.claimMax;
  let last = reply;
  for (let round = 0; wanted && last.short && claimed.length < max && round < CLAIM_ROUNDS; round++) {
    const before = labels.size;
    for (const label of last.hint) labels.add(label);
    if (labels.size === before) break;
    countClaimRerun();
    last = await runSettle(ctx, queue, [String(max - claimed.length), leaseArg(leaseMs), "0", "0", "", "", "", ""], { labels });
    claimed = [...claimed, ...last.claimed];
    priorities = [...priorities, ...last.priorities];
  }
  // a later round may have promoted delayed tasks of a higher priority than an earlier round took:
  // the batch is handed out in claim order all the same (priority, then the order claimed)
  if (last !== reply) claimed = byPriority(claimed, priorities);
  return { outcomes, claimed, start: asArray(reply.start ?? []), nextDueAt: reply.nextDueAt };
}

/** Tasks by descending priority, in the order given within one priority. */
function byPriority(claimed: ClaimedTask[], priorities: number[]): ClaimedTask[] {
  return claimed.map((task, i) => ({ task, i, priority: priorities[i]! })).sort((a, b) => b.priority - a.priority || a.i - b.i).map(({ task }) => task);
}

/**
 * How far back a claim holds the partitions of generated ids whatever its hint says: past the pause
 * between a live invocation's claims (runtime/drain.ts, ≤ 50 ms) and an enqueue's time in flight.
 */
const RECENT_PARTITIONS_MS = 160;

/** Claims again at once when a claim stopped at a partition its call lacked: each round holds more. */
const CLAIM_ROUNDS = 3;

/** One settle script call, its reply read; remembers the claim hint for the queue's next call. */
async function runSettle(ctx: QueueContext, queue: string, args: string[], keys: ScriptKeys) {
  const [rawOutcomes, rawClaimed, rawMax, rawStart, rawDue, rawHint, rawShort, rawClaimMax] = asArray(await ctx.run(settleScript, queue, ctx.now(), args, keys));
  const claimedFlat = asArray(rawClaimed);
  const defaultMax = Number(rawMax);
  const claimed: ClaimedTask[] = [];
  const priorities: number[] = [];
  for (let i = 0; i < claimedFlat.length; i += 2) {
    claimed.push(toClaimedTask(taskIdOf(queue, text(claimedFlat[i])), claimedFlat[i + 1], defaultMax));
    priorities.push(priorityOf(claimedFlat[i + 1]));
  }
  const hint = asArray(rawHint ?? []).map(text);
  if (hint.length > 0) rememberHint(ctx.prefix, queue, hint);
  const due = rawDue == null ? "" : text(rawDue);
  return { rawOutcomes, claimed, priorities, start: rawStart, nextDueAt: due === "" ? null : Number(due), hint, short: Number(rawShort) === 1, claimMax: Number(rawClaimMax ?? 0) };
}

export async function extendLeases(ctx: QueueContext, queue: string, leases: LeaseExtension[], leaseMs?: number): Promise<ExtendedLease[]> {
  validateQueueName(queue);
  checkBatch(leases, "leases");
  if (leases.length === 0) return [];
  const args = [leaseArg(leaseMs)];
  const labels = new Set<string>();
  leases.forEach((l, i) => {
    const id = localTaskId(queue, l.id, `leases[${i}].id`);
    labels.add(partitionOf(id));
    args.push(id, token(l.leaseToken, `leases[${i}].leaseToken`));
  });
  const reply = asArray(await ctx.run(extendScript, queue, ctx.now(), args, { labels }));
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
  const now = ctx.now();
  // the cron's upkeep lists the queue again each time (registry.ts): a queue lost with a data loss comes back
  await register(ctx, queue);
  const [promoted, requeued, dead, expired, more] = asArray(await ctx.run(upkeepScript, queue, now, [String(limit)]));
  return { promoted: Number(promoted), requeued: Number(requeued), dead: Number(dead), expired: Number(expired), more: Number(more) === 1 };
}

/**
 * One HMGET per partition the ids fall in (ids name their queue and partition, ids.ts); ids without a
 * queue are read from the records hash of before partitions. The HMGETs go in one request.
 */
export async function getMany(ctx: QueueContext, ids: string[]): Promise<(TaskRecord | null)[]> {
  checkBatch(ids, "ids");
  if (ids.length === 0) return [];
  const byKey = new Map<string, { fields: string[]; at: number[] }>();
  ids.forEach((id, i) => {
    validateTaskRef(id, `ids[${i}]`);
    const parts = splitTaskId(id);
    const key = parts ? partitionKeys(ctx.prefix, parts.queue, partitionOf(parts.local))[0] : legacyTasksKey(ctx.prefix);
    const group = byKey.get(key) ?? { fields: [], at: [] };
    group.fields.push(parts ? parts.local : id);
    group.at.push(i);
    byKey.set(key, group);
  });
  const raws: unknown[] = new Array(ids.length).fill(null);
  await Promise.all(
    [...byKey].map(async ([key, { fields, at }]) => {
      const reply: unknown = await ctx.redis.hmget(key, ...fields);
      // automaticDeserialization off: the raw array; on: an object keyed by field, or null when all are nil
      fields.forEach((field, k) => {
        raws[at[k]!] = Array.isArray(reply) ? reply[k] : reply && typeof reply === "object" ? (reply as Record<string, unknown>)[field] : null;
      });
    }),
  );
  const now = ctx.now();
  return ids.map((id, i) => toTaskRecord(id, raws[i], ctx.defaults.maxAttempts, now));
}

/**
 * Cancel: one script per queue named by the ids, which re-checks each state atomically. Ids without a
 * queue (tasks stored before partitions) are not canceled. Returns the ids actually canceled.
 */
export async function cancel(ctx: QueueContext, ids: string[]): Promise<string[]> {
  checkBatch(ids, "ids");
  const byQueue = new Map<string, { ids: string[]; locals: string[] }>();
  ids.forEach((id, i) => {
    validateTaskRef(id, `ids[${i}]`);
    const parts = splitTaskId(id);
    if (!parts) return;
    const group = byQueue.get(parts.queue) ?? { ids: [], locals: [] };
    group.ids.push(id);
    group.locals.push(parts.local);
    byQueue.set(parts.queue, group);
  });
  const canceled: string[] = [];
  for (const [queue, group] of byQueue) {
    const labels = group.locals.map(partitionOf);
    const codes = asArray(await ctx.run(cancelScript, queue, ctx.now(), [queue, ...group.locals], { labels }));
    group.ids.forEach((id, i) => Number(codes[i]) === 1 && canceled.push(id));
  }
  return canceled;
}
