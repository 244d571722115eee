/**
 * Every Redis key the queue core uses, built in one place.
 *
 * Task records live in ONE global hash (id → packed record) rather than one hash per queue: `get(id)`
 * and `cancel(ids)` carry no queue name, and a global hash makes "read a task" a single HGET/HMGET
 * with no id → queue index to keep (an index would cost ~90 bytes and a write per task). The record
 * names its queue. Per-queue structures (ready list, zsets, meta) sit beside it.
 *
 * Every queue script receives the same KEYS array, in the order of `QUEUE_KEY_NAMES`.
 */

import { outboxKey } from "./jobs/keys";

export const DEFAULT_PREFIX = "edgeq";

/** KEYS[i] of every queue script, 1-based in Lua. Keep in step with the constants in scripts/lib.ts. */
export const QUEUE_KEY_NAMES = [
  "tasks", // KEYS[1] hash: task id → packed record (global)
  "registry", // KEYS[2] hash: queue name → total enqueued (global; also the list of queues)
  "meta", // KEYS[3] hash: settings and hints (_due earliest delayed runAt, _pz, _seq); totals are in "stats"
  "ready", // KEYS[4] list: ids of queued tasks of priority 0, FIFO
  "prioritized", // KEYS[5] zset: ids of queued tasks of other priorities, score = (1000 - priority) * 2^42 + seq
  "delayed", // KEYS[6] zset: ids of delayed tasks (and retries waiting for backoff), score = runAt
  "sweep", // KEYS[7] zset: batch entries for upkeep (lease checks, record expiry, dedup expiry), score = when due
  "dead", // KEYS[8] zset: ids of dead tasks, score = when they died
  "dedup", // KEYS[9] hash: dedupKey → "<until36>|<id>"
  "stats", // KEYS[10] hash: per-minute counters and latency histograms (stats/lua.ts)
  "outbox", // KEYS[11] hash: task id → its job's pending event (jobs/lua.ts)
  "pushEpoch", // KEYS[12] counter: advanced as each worker invocation starts; pushes are deduplicated per epoch (src/runtime/autoscale.ts)
] as const;

export type QueueKeyName = (typeof QUEUE_KEY_NAMES)[number];

/** The channel on which the settle script publishes the ids of the queue's tasks it finished. */
export function doneChannel(prefix: string, queue: string): string {
  return `${queueKeys(prefix, queue)[2]}:done`;
}

export function tasksKey(prefix: string): string {
  return `${prefix}:tasks`;
}

export function registryKey(prefix: string): string {
  return `${prefix}:queues`;
}

/** The KEYS array of a queue script. The hash tag keeps a queue's own keys in one cluster slot. */
export function queueKeys(prefix: string, queue: string): string[] {
  const base = `${prefix}:q:{${queue}}`;
  return [
    tasksKey(prefix),
    registryKey(prefix),
    `${base}:meta`,
    `${base}:ready`,
    `${base}:prio`,
    `${base}:delayed`,
    `${base}:sweep`,
    `${base}:dead`,
    `${base}:dedup`,
    `${base}:stats`,
    outboxKey(prefix, queue),
    pushEpochKey(prefix, queue),
  ];
}

/** Read by the enqueue script (for the nudge) and advanced by the start script, in the same request as their work. */
export function pushEpochKey(prefix: string, queue: string): string {
  return `${prefix}:q:{${queue}}:push-epoch`;
}
