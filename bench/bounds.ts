/**
 * What bounds edgeq's drain, read from a run's own CPU figures: redis-server runs scripts on one
 * thread, so its CPU per task caps the drain by itself; the client, the REST server and redis-server
 * together share the machine's cores, which caps it again. Whichever cap is lower is the bound.
 */
import type { BenchResults } from "./run-results";
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

const k = (n: number) => `${(n / 1000).toFixed(1)}k`;

export function renderBounds(results: BenchResults): string {
  const lines: string[] = [];
  const cpus = results.machine.cpus;
  for (const run of results.edgeq.filter((r) => r.batch >= 100 && r.loops > 1 && !r.separateSettle)) {
    const b = drainBound(run, cpus);
    if (!Number.isFinite(b.redisCap)) continue;
    lines.push(
      `- batch ${b.batch}, ${b.loops} loops: a drained task costs ${b.clientUs.toFixed(0)} µs of client CPU, ${b.restUs.toFixed(0)} µs in the REST server and ${b.redisUs.toFixed(0)} µs in redis-server. ` +
        `The scripts alone cap the drain at ${k(b.redisCap)}/s (one Redis thread); the three processes at ${k(b.machineCap)}/s on ${cpus} cores. ` +
        `Bound: ${b.bound}. Measured ${k(b.measured)}/s with redis-server ${Math.round(run.cpu.redisBusy * 100)}% busy${run.cpu.redisBusy < 0.8 ? `: below both caps, the rest is waiting — round trips in flight and other work on the machine (load average ${results.machine.loadAverage} at start)` : ""}.`,
    );
  }
  const small = results.edgeq.find((r) => r.batch === 1 && r.loops > 1);
  const ping = results.restFloor.find((f) => f.loops > 1);
  if (small && ping) {
    lines.push(
      `- batch 1: every task is two requests; a request costs ${ping.cpu.client.toFixed(0)} µs of client CPU and ${ping.cpu.rest.toFixed(0)} µs in the REST server even for a PING (${Math.round(ping.requestsPerSecond)} req/s with ${ping.loops} loops), ` +
        `so small batches are bound by per-request CPU in @upstash/redis/fetch and the REST server; redis-server spends ${small.cpu.redis.toFixed(0)} µs per task there, mostly the fixed cost of starting a script (two script calls per task).`,
    );
  }
  return lines.length > 0 ? `\n### What bounds the drain (from this run's CPU figures)\n\n${lines.join("\n")}` : "";
}
