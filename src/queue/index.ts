/**
 * The queue core: a reliable task queue whose every state change is one Lua script per batch.
 * It depends only on the few @upstash/redis methods in `QueueRedis`. For speed construct the client
 * with `automaticDeserialization: false` and `responseEncoding: false` (payloads are JSON text
 * already); the default client works too, only slower.
 */
import { getQueue, handleDead, listDead, listQueues, updateSettings } from "./admin";
import { markWaiting } from "./wait-mark";
import { createContext } from "./context";
import { DEFAULT_PREFIX } from "./keys";
import type { QueueRedis } from "./scripts/runner";
import { DEFAULT_SETTINGS, mergeSettings } from "./settings";
import { cancel, enqueue, enqueueAndPeek, enqueueGroups, extendLeases, getMany, settle, upkeep } from "./tasks";
import { startInvocation } from "./invocation-start";
import { toTaskRecord } from "./records";
import { readFlow, readFlowKey, readFlowTotals } from "./flow/read";
import { getStats } from "./stats/read";
import type { QueueSettings, TaskQueue } from "./types";

export interface TaskQueueOptions {
  /** Key prefix (default "edgeq"): every key the queue writes starts with it. */
  prefix?: string;
  /** The clock (ms since the epoch); tests inject one to move time without sleeping. */
  now?: () => number;
  /** Limit of each task input and result, in bytes of JSON (default 64 KiB). */
  maxInputBytes?: number;
  /** Settings of queues that have not stored their own. */
  defaults?: Partial<QueueSettings>;
}

export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024;

export function createTaskQueue(redis: QueueRedis, options: TaskQueueOptions = {}): TaskQueue {
  const ctx = createContext(
    redis,
    options.prefix ?? DEFAULT_PREFIX,
    options.now ?? Date.now,
    options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES,
    mergeSettings(DEFAULT_SETTINGS, options.defaults),
  );
  return {
    enqueue: (queue, tasks) => enqueue(ctx, queue, tasks),
    enqueueAndPeek: (queue, tasks) => enqueueAndPeek(ctx, queue, tasks, true),
    enqueueGroups: (queue, groups) => enqueueGroups(ctx, queue, groups),
    claim: async (queue, max, leaseMs) => (await settle(ctx, queue, { claimMax: max, leaseMs })).claimed,
    complete: async (queue, completions) => (await settle(ctx, queue, { completions })).outcomes,
    fail: async (queue, failures) => (await settle(ctx, queue, { failures })).outcomes,
    settleAndClaim: (queue, settled, claimMax, leaseMs) => settle(ctx, queue, { ...settled, claimMax, leaseMs }),
    startInvocation: (queue, replayMark) => startInvocation(ctx, queue, replayMark),
    extendLeases: (queue, leases, leaseMs) => extendLeases(ctx, queue, leases, leaseMs),
    upkeep: (queue, limit) => upkeep(ctx, queue, limit),
    cancel: (ids) => cancel(ctx, ids),
    get: async (id) => (await getMany(ctx, [id]))[0] ?? null,
    getMany: (ids) => getMany(ctx, ids),
    fromRecord: (id, record) => toTaskRecord(id, record, ctx.defaults.maxAttempts, ctx.now()),
    listQueues: () => listQueues(ctx),
    getQueue: (queue) => getQueue(ctx, queue),
    markWaiting: (queue, untilMs) => markWaiting(ctx, queue, untilMs),
    updateSettings: (queue, patch) => updateSettings(ctx, queue, patch),
    listDead: (queue, options) => listDead(ctx, queue, options),
    retryDead: (queue, ids) => handleDead(ctx, queue, "retry", ids),
    purgeDead: (queue, ids) => handleDead(ctx, queue, "purge", ids),
    getStats: (queue) => getStats(ctx, queue),
    flow: (queue, options) => readFlow(ctx, queue, options?.offset, options?.limit),
    flowKey: (queue, key) => readFlowKey(ctx, queue, key),
    flowTotals: (queue) => readFlowTotals(ctx, queue),
  };
}

export { DatabaseUnavailableError, EdgeqError, ErrorCode, QueueNotFoundError, ValidationError, errorFromCode } from "./errors";
export { DEFAULT_SETTINGS } from "./settings";
export { DEFAULT_PREFIX, doneChannel, pushEpochKey, queueKeyMap } from "./keys";
export { LIVE_MARK_FIELD, LIVE_MARK_MS } from "./scripts/pieces/live";
export { LEDGER_FIELD, LEDGER_MAX_TASKS, LEDGER_UNIT } from "./stats/lua";
export { QUEUE_NAME_PATTERN, FN_NAME_PATTERN, MAX_BATCH, validateQueueName } from "./validate";
export { TASK_ID_PATTERN, TASK_REF_PATTERN, newTaskId, splitTaskId, taskIdOf } from "./ids";
export { MAX_FLOW_KEY_CHARS, MAX_FLOW_PARALLELISM, MAX_FLOW_PERIOD_MS, MAX_FLOW_RATE } from "./flow/control";
export type { QueueRedis } from "./scripts/runner";
export type * from "./types";
export type { MinuteCounts, MinuteStats, QueueStats } from "./stats/figures";
export { LATENCY_BOUNDS_MS, type Histogram, type Percentiles } from "./stats/histogram";
