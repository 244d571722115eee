import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

export type ScriptReply = string | number | null | ScriptReply[];

/** A Lua script run with EVALSHA, loaded with EVAL when the server does not know it (fresh start, SCRIPT FLUSH). */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<ScriptReply> {
    try {
      return (await redis.evalsha(this.sha, keys.length, ...keys, ...args)) as ScriptReply;
    } catch (error) {
      if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
      return (await redis.eval(this.lua, keys.length, ...keys, ...args)) as ScriptReply;
    }
  }
}
