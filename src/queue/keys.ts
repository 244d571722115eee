/**
 * Every Redis key the queue core uses, built in one place.
 *
 * Task records live in ONE global hash (id → packed record) rather than one hash per queue: `get(id)`
 * and `cancel(ids)` carry no queue name, and a global hash makes "read a task" a single HGET/HMGET
 * with no id → queue index to keep (an index would cost ~90 bytes and a write per task). The record
 * names its queue. Per-queue structures (ready list, zsets, meta) sit beside it, under the queue's
 * hash tag; the two global hashes (tasks, registry) do not carry it, so today a queue script spans
 * several cluster slots and every script locks those two keys (README "The keys"; issue 13).
 */

import { outboxKey } from "./jobs/keys";
import type { KeySpec } from "./scripts/compose";

export const DEFAULT_PREFIX = "edgeq";

/**
 * The keys a queue script may receive, in KEYS order. A script receives only those it (or a Lua piece
 * it includes) names, so each script's KEYS list, header and Lua binding come from this one list
 * (scripts/compose.ts). `lua` is the key's name inside scripts.
 */
export const QUEUE_KEYS = [
  { name: "tasks", lua: "TASKS", what: "hash, task id → packed record (codec.ts)" },
  { name: "meta", lua: "META", what: "hash, settings and hints (_due earliest delayed runAt, _pz, _seq)" },
  { name: "ready", lua: "READY", what: "list, ids of queued tasks of priority 0, FIFO" },
  { name: "prioritized", lua: "PRIO", what: "zset, ids of queued tasks of other priorities, score (1000 - priority) * 2^42 + seq" },
  { name: "delayed", lua: "DELAYED", what: "zset, ids of delayed tasks and retries waiting for backoff, score runAt" },
  { name: "sweep", lua: "SWEEP", what: "zset, batch entries for upkeep (lease checks, record expiry, dedup expiry), score when due" },
  { name: "dead", lua: "DEAD", what: "zset, ids of dead tasks, score when they died" },
  { name: "dedup", lua: "DEDUP", what: "hash, dedupKey → <until36>|<id>" },
  { name: "stats", lua: "STATS", what: "hash, per-minute counters, latency histograms and totals (stats/lua.ts)" },
  { name: "outbox", lua: "OUTBOX", what: "hash, task id → its job's pending event (jobs/lua.ts)" },
  { name: "flow", lua: "FLOW", what: "hash, flow-control key → limits, last round, waiting and held counts, leases, starts; \"\" → the queue's round and totals (pieces/flow.ts)" },
  { name: "flowQueue", lua: "FLOWQ", what: "zset, \"<key>\\n<id>\" per queued task with a flow-control key, score (1000 - priority) * 2^42 + round" },
  { name: "flowHeld", lua: "FLOWHELD", what: "zset (scores 0), \"<key>\\n<order>\\n<id>\" per keyed task held back by its key's limits" },
  { name: "flowOpen", lua: "FLOWOPEN", what: "zset, flow-control keys with held tasks, score when one of them may start" },
  { name: "pushEpoch", lua: "PUSH_EPOCH", what: "counter advanced as each worker invocation starts (runtime/autoscale.ts)" },
  { name: "replayMark", lua: "REPLAY_MARK", what: "a push delivery's replay mark (sent only with a start that has one)" },
  { name: "registry", lua: "REGISTRY", what: "hash, queue name → \"0\": the list of queues (an enqueue gets it only to register, tasks.ts)" },
] as const satisfies readonly KeySpec[];

export type QueueKeyName = (typeof QUEUE_KEYS)[number]["name"];

/** The channel on which the settle script publishes the ids of the queue's tasks it finished. */
export function doneChannel(prefix: string, queue: string): string {
  return `${queueKeyMap(prefix, queue).meta}:done`;
}

export function tasksKey(prefix: string): string {
  return `${prefix}:tasks`;
}

export function registryKey(prefix: string): string {
  return `${prefix}:queues`;
}

/** Every key of a queue but the replay mark (which belongs to one delivery), by name. */
export function queueKeyMap(prefix: string, queue: string): Record<Exclude<QueueKeyName, "replayMark">, string> {
  const base = `${prefix}:q:{${queue}}`;
  return {
    tasks: tasksKey(prefix),
    registry: registryKey(prefix),
    meta: `${base}:meta`,
    ready: `${base}:ready`,
    prioritized: `${base}:prio`,
    delayed: `${base}:delayed`,
    sweep: `${base}:sweep`,
    dead: `${base}:dead`,
    dedup: `${base}:dedup`,
    stats: `${base}:stats`,
    outbox: outboxKey(prefix, queue),
    flow: `${base}:flow`,
    flowQueue: `${base}:flow:queue`,
    flowHeld: `${base}:flow:held`,
    flowOpen: `${base}:flow:open`,
    pushEpoch: pushEpochKey(prefix, queue),
  };
}

/** Keys a script may be sent without: the last of its KEYS, so that the others keep their places. */
export interface OptionalKeys {
  /** The replay mark's key, for a start that has one. */
  replayMark?: string;
  /** False: leave the registry out (an enqueue of a queue registered a moment ago). */
  registry?: boolean;
}

/**
 * The KEYS array of a queue script: the keys it names, in its order. `replayMark` is the one key not
 * derived from the queue; it and `registry` come last in QUEUE_KEYS, so leaving them out moves no
 * other key.
 */
export function queueKeys(prefix: string, queue: string, names: readonly QueueKeyName[], optional: OptionalKeys = {}): string[] {
  const map = queueKeyMap(prefix, queue);
  const keys: string[] = [];
  for (const name of names) {
    if (name === "replayMark") {
      if (optional.replayMark !== undefined) keys.push(optional.replayMark);
    } else if (name !== "registry" || optional.registry !== false) keys.push(map[name]);
  }
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
