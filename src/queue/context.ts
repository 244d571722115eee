/** What the queue operations share: the client, the key prefix, the clock and the effective defaults. */
import { text } from "./codec";
import { errorFromCode } from "./errors";
import { queueKeys } from "./keys";
import type { QueueScript } from "./scripts/queue-script";
import { runScript, type QueueRedis } from "./scripts/runner";
import { scriptDefaults } from "./settings";
import type { QueueSettings } from "./types";

/** Keys a script call adds to those the script names. */
export interface ScriptKeys {
  /** The replay mark's key, for a start that has one. */
  replayMark?: string;
  /** Partitions the call touches (ids.ts partitionOf), for a partitioned script. */
  labels?: Iterable<string>;
}

export interface QueueContext {
  redis: QueueRedis;
  prefix: string;
  now: () => number;
  maxInputBytes: number;
  defaults: QueueSettings;
  /**
   * Runs a queue script with ARGV[1] = now, ARGV[2] = defaults and the queue keys it names; a bare
   * negative reply becomes an error.
   */
  run(script: QueueScript, queue: string, now: number, args: string[], keys?: ScriptKeys): Promise<unknown>;
}

/** A script's answer when it found ids of partitions it was not given, before writing anything. */
const NEED = "_need";
/** Each try adds what the last one lacked; more than this means the structures move under the calls. */
const NEED_TRIES = 4;

/**
 * Runs a queue script over its keys; when it answers {"_need", labels}, runs it again with those
 * partitions too (scripts/pieces/partitions.ts).
 */
export async function runQueueScript(redis: QueueRedis, prefix: string, script: QueueScript, queue: string, args: string[], keys: ScriptKeys = {}): Promise<unknown> {
  const labels = new Set(keys.labels ?? []);
  for (let attempt = 1; ; attempt++) {
    const reply = await runScript(redis, script, queueKeys(prefix, queue, script.keys, keys.replayMark, labels), args);
    if (!Array.isArray(reply) || reply[0] !== NEED) return reply;
    if (attempt === NEED_TRIES) throw new Error(`script ${script.name} of queue ${queue} still lacks partitions after ${NEED_TRIES} tries`);
    for (const label of asArray(reply[1])) labels.add(text(label));
  }
}

export function createContext(
  redis: QueueRedis,
  prefix: string,
  now: () => number,
  maxInputBytes: number,
  defaults: QueueSettings,
): QueueContext {
  const defaultsArg = scriptDefaults(defaults);
  return {
    redis,
    prefix,
    now,
    maxInputBytes,
    defaults,
    async run(script, queue, at, args, keys) {
      const reply = await runQueueScript(redis, prefix, script, queue, [String(at), defaultsArg, ...args], keys);
      if (typeof reply === "number" && reply < 0) throw errorFromCode(reply, script.name);
      return reply;
    },
  };
}

/** A script reply that must be an array (a client with automatic deserialization keeps arrays as arrays). */
export function asArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected script reply: ${JSON.stringify(reply)}`);
  return reply;
}
