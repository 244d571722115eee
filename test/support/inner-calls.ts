/**
 * Redis commands by command over one piece of work, counted by redis-server itself: INFO
 * commandstats counts a script's inner calls, as Upstash bills them. For a redis-server of the test
 * file's own, so that no other test's commands mix in.
 */
import type { Redis as DirectRedis } from "ioredis";

/** Calls by command over one piece of work; the scripts themselves as `script`. */
export async function innerCalls(direct: DirectRedis, work: () => Promise<unknown>): Promise<Record<string, number>> {
  await direct.config("RESETSTAT");
  await work();
  const calls: Record<string, number> = {};
  for (const match of String(await direct.info("commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = match[1]!;
    // the probe's own commands, and the REST server's record-size probes and connection setup
    if (["config", "info", "memory", "command", "client", "hello", "select", "ping"].includes(name.split("|")[0]!)) continue;
    const key = name === "evalsha" || name === "eval" ? "script" : name;
    calls[key] = (calls[key] ?? 0) + Number(match[2]);
  }
  return calls;
}
