/**
 * The limit: redis-benchmark's pipelined LPUSH and RPOP on the same redis-server. A queue needs at
 * least one push and one pop per task, so no Redis queue drains faster than 1/(1/push + 1/pop).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export const PIPELINE = 16;

export interface RedisLimit {
  lpushPerSecond: number;
  rpopPerSecond: number;
  /** One LPUSH plus one RPOP per task. */
  tasksPerSecond: number;
  requests: number;
  pipeline: number;
  version: string;
}

function rateOf(csv: string, test: string): number {
  const line = csv.split("\n").find((row) => row.startsWith(`"${test}"`));
  const rate = Number(line?.split(",")[1]?.replaceAll('"', ""));
  if (!Number.isFinite(rate) || rate <= 0) throw new Error(`redis-benchmark printed no ${test} rate:\n${csv}`);
  return rate;
}

export async function redisLimit(port: number, requests: number): Promise<RedisLimit> {
  const run = promisify(execFile);
  const { stdout } = await run(
    "redis-benchmark",
    ["-h", "127.0.0.1", "-p", String(port), "-t", "lpush,rpop", "-P", String(PIPELINE), "-n", String(requests), "-q", "--csv"],
    { timeout: 120_000 },
  );
  const version = (await run("redis-benchmark", ["--version"])).stdout.trim().split(" ")[1] ?? "unknown";
  const lpushPerSecond = rateOf(stdout, "LPUSH");
  const rpopPerSecond = rateOf(stdout, "RPOP");
  return {
    lpushPerSecond,
    rpopPerSecond,
    tasksPerSecond: 1 / (1 / lpushPerSecond + 1 / rpopPerSecond),
    requests,
    pipeline: PIPELINE,
    version,
  };
}
