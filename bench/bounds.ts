/**
 * What bounds edgeq's drain, read from a run's own CPU figures: redis-server runs scripts on one
 * thread, so its CPU per task caps the drain by itself; the client, the REST server and redis-server
 * together share the machine's cores, which caps it again. Whichever cap is lower is the bound.
 */
import type { ThroughputResult } from "./workload";

export interface DrainBound {
  batch: number;
  loops: number;
  /** CPU microseconds per drained task. */
  clientUs: number;
  restUs: number;
  redisUs: number;
  /** Drain rate redis-server allows on one core, and the three processes on all cores. */
  redisCap: number;
  machineCap: number;
  measured: number;
  bound: "redis-server (scripts)" | "CPU of client + REST server + redis-server";
}

export function drainBound(run: ThroughputResult, cpus: number): DrainBound {
  // cpu shares are milliseconds per 1,000 tasks, i.e. microseconds per task
  const { client: clientUs, rest: restUs, redis: redisUs } = run.cpu;
  const redisCap = 1e6 / redisUs;
  const machineCap = (cpus * 1e6) / (clientUs + restUs + redisUs);
  return {
    batch: run.batch,
    loops: run.loops,
    clientUs,
    restUs,
    redisUs,
    redisCap,
    machineCap,
    measured: run.drainPerSecond,
    bound: redisCap <= machineCap ? "redis-server (scripts)" : "CPU of client + REST server + redis-server",
  };
}
