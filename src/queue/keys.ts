/**
 * Every Redis key the queue core uses, built in one place. Every key a queue script touches is under
 * the queue's hash tag, `<prefix>:q:{<queue>}:` (one cluster slot; Upstash locks them together):
 * - fixed keys per queue (QUEUE_KEYS);
 * - per partition of task ids (ids.ts partitionOf), the records hash `t:<label>`, the ready list
 *   `r:<label>`, the sorted sets of its prioritized, delayed and dead tasks `p:`, `d:`, `x:<label>`,
 *   each indexed by a per-queue set of partitions scored by (a bound of) its head, which upkeep folds
 *   into groups past a few hundred (`r:`, `p:`, `d:`, `x:^<group>`, scripts/pieces/part-index.ts), and its flow queue
 *   `f:<label>` (keyed tasks, scripts/pieces/flow-queue.ts): no key grows with the number
 *   of tasks alive (issue 13). A task id names its queue (`<queue>~<local>`), so a read by id is one
 *   HMGET of one partition with no index. Dedup entries are fields of a hashed partition's records hash
 *   (dedupPartitionOf).
 * The registry (`<prefix>:queues`) is written outside every script (tasks.ts), and the global hash of
 * records (`<prefix>:tasks`) of before partitions is only read, for ids without a queue.
 */

import { partitionOf, splitTaskId } from "./ids";
import { outboxKey } from "./jobs/keys";
import type { KeySpec } from "./scripts/compose";

export const DEFAULT_PREFIX = "edgeq";

/**
 * The keys a queue script may receive, in KEYS order. A script receives only those it (or a Lua piece
 * it includes) names, so each script's KEYS list, header and Lua binding come from this one list
 * (scripts/compose.ts). `lua` is the key's name inside scripts.
 */
export const QUEUE_KEYS = [
  { name: "meta", lua: "META", what: "hash, settings and hints (_due earliest delayed runAt, _seq the prioritized tasks' sequence, _pe its value when a claim found none, _gk where record-expiry buckets stand)" },
  { name: "ready", lua: "READY", what: "zset, partitions with ready lists (r:<label>), score the order they got work in (meta _seq)" },
  { name: "prioritized", lua: "PPARTS", what: "zset, partitions with prioritized tasks (p:<label>: ids of other priorities and promoted ones, score (1000 - priority) * 2^42 + seq), score its head's" },
  { name: "delayed", lua: "DPARTS", what: "zset, partitions with delayed tasks (d:<label>: delayed tasks and retries waiting for backoff, score runAt), score its earliest runAt" },
  { name: "sweep", lua: "SWEEP", what: "zset, batch entries for upkeep (lease checks, record expiry, dedup expiry), score when due" },
  { name: "dead", lua: "XPARTS", what: "zset, partitions with dead tasks (x:<label>: ids of dead tasks, score when they died), score its latest death" },
  { name: "stats", lua: "STATS", what: "hash, per-minute counters, latency histograms and totals (stats/lua.ts)" },
  { name: "outbox", lua: "OUTBOX", what: "hash, task id → its job's pending event (jobs/lua.ts)" },
  { name: "flow", lua: "FLOW", what: "hash, flow-control key → limits, last round, waiting and held counts, leases, starts; \"\" → the queue's round and totals (pieces/flow.ts)" },
  { name: "flowParts", lua: "FPARTS", what: "zset, partitions with keyed tasks waiting (f:<label>; \"\" the shared flowQueue), score a lower bound of its head's score" },
  { name: "flowQueue", lua: "FLOWQ", what: "zset as a partition's f:<label>, for keyed tasks promoted by a script that does not hold their partition" },
  { name: "flowOpen", lua: "FLOWOPEN", what: "zset, flow-control keys with held tasks, score when one of them may start" },
  { name: "pushEpoch", lua: "PUSH_EPOCH", what: "counter advanced as each worker invocation starts (runtime/autoscale.ts)" },
  { name: "replayMark", lua: "REPLAY_MARK", what: "a push delivery's replay mark (an untouched placeholder for a call without one)" },
] as const satisfies readonly KeySpec[];

export type QueueKeyName = (typeof QUEUE_KEYS)[number]["name"];

/** The channel on which the settle script publishes the ids of the queue's tasks it finished. */
export function doneChannel(prefix: string, queue: string): string {
  return `${queueKeyMap(prefix, queue).meta}:done`;
}

/** The one hash of every record before partitions: read only, for ids without a queue. */
export function legacyTasksKey(prefix: string): string {
  return `${prefix}:tasks`;
}

export function registryKey(prefix: string): string {
  return `${prefix}:queues`;
}

/** Every key of a queue but the replay mark (which belongs to one delivery), by name. */
export function queueKeyMap(prefix: string, queue: string): Record<Exclude<QueueKeyName, "replayMark">, string> {
  const base = `${prefix}:q:{${queue}}`;
  return {
    meta: `${base}:meta`,
    ready: `${base}:rparts`,
    prioritized: `${base}:pparts`,
    delayed: `${base}:dparts`,
    sweep: `${base}:sweep`,
    dead: `${base}:xparts`,
    stats: `${base}:stats`,
    outbox: outboxKey(prefix, queue),
    flow: `${base}:flow`,
    flowParts: `${base}:flow:parts`,
    flowQueue: `${base}:flow:queue`,
    flowOpen: `${base}:flow:open`,
    pushEpoch: pushEpochKey(prefix, queue),
  };
}

/**
 * The keys of one partition of a queue's task ids, in the order a partitioned script receives them;
 * the flow queue (keyed queued tasks, scripts/pieces/flow-queue.ts) last.
 */
export function partitionKeys(
  prefix: string,
  queue: string,
  label: string,
): [records: string, ready: string, prioritized: string, delayed: string, dead: string, flow: string] {
  const base = `${prefix}:q:{${queue}}`;
  return [`${base}:t:${label}`, `${base}:r:${label}`, `${base}:p:${label}`, `${base}:d:${label}`, `${base}:x:${label}`, `${base}:f:${label}`];
}

/** How many keys each declared partition adds to a partitioned script's KEYS (partitionKeys). */
export const PARTITION_KEY_COUNT = 6;
/** The flow queue's place among a partition's keys, as Lua counts (PART[label][FLOW_PARTITION_SLOT]). */
export const FLOW_PARTITION_SLOT = 6;

/**
 * The KEYS array of a queue script: the keys it names, in its order, then (for a partitioned script)
 * the records and ready keys of each partition label. `replayMark` is the one key a caller names
 * (a push delivery's, moved under the queue's tag: replayMarkKey).
 */
export function queueKeys(prefix: string, queue: string, names: readonly QueueKeyName[], replayMark?: string, labels: Iterable<string> = []): string[] {
  const map = queueKeyMap(prefix, queue);
  const keys: string[] = [];
  for (const name of names) {
    // a start without a mark gets a key it never touches, so that the partition keys keep their places
    if (name === "replayMark") keys.push(replayMark ?? `${prefix}:q:{${queue}}:replay:none`);
    else keys.push(map[name]);
  }
  for (const label of labels) keys.push(...partitionKeys(prefix, queue, label));
  return keys;
}

/** Read by the enqueue script (for the enqueue push) and advanced by the start script, in the same request as their work. */
export function pushEpochKey(prefix: string, queue: string): string {
  return `${prefix}:q:{${queue}}:push-epoch`;
}

/**
 * Hash: task id → the latest `ctx.progress` of a running task, `{"at":ms,"value":…}`. Kept apart
 * from the record so that progress writes touch no queue script; entries go when the batch settles.
 */
export function progressKey(prefix: string, queue: string): string {
  return `${prefix}:q:{${queue}}:progress`;
}

/**
 * Hash: task id → the completion callback `{url, headers?}` of a task that has one, until it ends;
 * field "*" holds the queue's own callback setting, which every task without one uses.
 */
export function callbacksKey(prefix: string, queue: string): string {
  return `${prefix}:q:{${queue}}:callbacks`;
}

/**
 * A push delivery's replay mark, moved under the queue's hash tag (the start script that sets it is
 * the queue's): `<prefix>:q:{<queue>}:` then the mark's own key without the prefix.
 */
export function replayMarkKey(prefix: string, queue: string, markKey: string): string {
  const own = markKey.startsWith(`${prefix}:`) ? markKey.slice(prefix.length + 1) : markKey;
  return `${prefix}:q:{${queue}}:${own}`;
}

/** Where a task's record is: its partition's hash and the field (the local id); the old global hash for an id without a queue. */
export function recordLocation(prefix: string, id: string): { key: string; field: string } {
  const parts = splitTaskId(id);
  if (!parts) return { key: legacyTasksKey(prefix), field: id };
  return { key: partitionKeys(prefix, parts.queue, partitionOf(parts.local))[0], field: parts.local };
}
