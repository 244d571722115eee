/**
 * Runs a Lua script with EVALSHA, falling back to EVAL when the server answers NOSCRIPT (after a
 * restart or SCRIPT FLUSH); the next EVALSHA then finds it cached. Same behaviour as
 * @upstash/redis's createScript, but over the two methods of `QueueRedis` only.
 */
import type { Redis } from "@upstash/redis";

/** The few @upstash/redis methods the queue core uses (any client shaped like this works). */
export type QueueRedis = Pick<Redis, "evalsha" | "eval" | "hmget" | "hkeys">;
/** What running a script needs. */
export type ScriptRedis = Pick<Redis, "evalsha" | "eval">;

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  sha(): Promise<string>;
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Every edgeq script declares every key it touches in KEYS, so it lets Upstash lock only those keys
 * (and keys sharing their hash tag) instead of the whole database: scripts of different queues run
 * in parallel. The local REST server accepts the flag as Upstash does (dev/rest-server/script-flags.ts).
 */
export const KEY_LOCKING_SHEBANG = "#!lua flags=allow-key-locking";
/** A script that only reads says so (no-writes): Upstash lets it share read locks, and a key over the record-size limit does not stop it. */
export const READ_ONLY_SHEBANG = "#!lua flags=no-writes,allow-key-locking";

export function defineScript(name: string, body: string, options: { readOnly?: boolean } = {}): LuaScript {
  const source = `${options.readOnly ? READ_ONLY_SHEBANG : KEY_LOCKING_SHEBANG}\n${body.replace(/^\n+/, "")}`;
  let sha: Promise<string> | undefined;
  return { name, source, sha: () => (sha ??= sha1Hex(source)) };
}

export async function runScript(redis: ScriptRedis, script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
  const sha = await script.sha();
  try {
    return await redis.evalsha(sha, keys, args);
  } catch (error) {
    if (error instanceof Error && error.message.includes("NOSCRIPT")) return await redis.eval(script.source, keys, args);
    throw error;
  }
}
