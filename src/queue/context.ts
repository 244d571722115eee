/** What the queue operations share: the client, the key prefix, the clock and the effective defaults. */
import { errorFromCode } from "./errors";
import { queueKeys, type OptionalKeys } from "./keys";
import type { QueueScript } from "./scripts/queue-script";
import { runScript, type QueueRedis } from "./scripts/runner";
import { scriptDefaults } from "./settings";
import type { QueueSettings } from "./types";

export interface QueueContext {
  redis: QueueRedis;
  prefix: string;
  now: () => number;
  maxInputBytes: number;
  defaults: QueueSettings;
  /**
   * Runs a queue script with ARGV[1] = now, ARGV[2] = defaults and the queue keys it names; a bare
   * negative reply becomes an error. `optional`: the keys a script may be sent without (keys.ts).
   */
  run(script: QueueScript, queue: string, now: number, args: string[], optional?: OptionalKeys): Promise<unknown>;
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
    async run(script, queue, at, args, optional) {
      const reply = await runScript(redis, script, queueKeys(prefix, queue, script.keys, optional), [String(at), defaultsArg, ...args]);
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
