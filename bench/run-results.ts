/** Everything one run measured, the ratios between systems, and the design's targets judged against them. */
import { drainBound, type DrainBound } from "./bounds";
import type { ClaimCostAtDepth } from "./claim-cost";
import type { Machine, Versions } from "./machine";
import type { HopLatency } from "./qstash-hop";
import type { RedisLimit } from "./redis-benchmark";
import type { RedisTrace } from "./redis-trace";
import type { RestFloor } from "./rest-floor";
import type { ThroughputResult } from "./workload";

export interface LatencyResult {
  tasks: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The same from the task's own timestamps (enqueue script to settle script, the Worker's clock). */
  recordedP50Ms: number;
  recordedP99Ms: number;
  /** Of which waiting to be claimed (createdAt → startedAt): the push's delivery. */
  recordedWaitP50Ms: number;
  /** The enqueue request alone (POST until its 202). */
  enqueueP50Ms: number;
  /** REST requests and Redis commands (script-inner calls not included) the Worker sent per task. */
  restRequestsPerTask?: number;
  redisCommandsPerTask?: number;
  /** Enqueue → result as an API client sees it with `GET /v1/tasks/{id}?wait=` (the server's polls included). */
  longPoll?: { p50Ms: number; p99Ms: number };
  /** MONITOR of a few more tasks: commands per task and the order they were sent in. */
  redisTrace?: RedisTrace;
  path: string;
}

export interface EndToEndResult {
  tasks: number;
  tasksPerSecond: number;
  workers: number;
  path: string;
}

export interface BenchResults {
  mode: "quick" | "full";
  startedAt: string;
  seconds: number;
  machine: Machine;
  versions: Versions;
  edgeq: ThroughputResult[];
  bullmq: ThroughputResult | null;
  limit: RedisLimit | null;
  /** Trivial requests per second through @upstash/redis and the REST server: the transport's ceiling. */
  restFloor: RestFloor[];
  memory: { tasks: number; inputBytes: number; edgeq: number | null; bullmq: number | null };
  claimCost: { small: ClaimCostAtDepth; large: ClaimCostAtDepth } | null;
  pushLatency: LatencyResult | null;
  /** The QStash dev server alone: publish → signed delivery to a bare Node receiver. */
  qstashHop: HopLatency | null;
  endToEnd: EndToEndResult | null;
  /** Sections that could not run, with the reason. */
  notMeasured: { section: string; reason: string }[];
  ratios: Record<string, number | null>;
  /** What bounds edgeq's drain at batch 100 and 500 (see bounds.ts). */
  bounds: DrainBound[];
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

/** The configuration the targets are stated for: batch 100 with several worker loops. */
export function headline(results: Pick<BenchResults, "edgeq">): ThroughputResult | undefined {
  const batch100 = results.edgeq.filter((run) => run.batch === 100 && !run.separateSettle);
  return batch100.find((run) => run.loops > 1) ?? batch100[0];
}

const cpuPerTask = (run: ThroughputResult): number => run.cpu.client + run.cpu.rest + run.cpu.redis;
const ratio = (a: number | undefined, b: number | undefined): number | null => (a && b ? a / b : null);
/** Figures are judged at the precision the target is written with plus one digit, as they are printed. */
const atMost = (value: number, target: number, decimals: number): boolean => Number(value.toFixed(decimals)) <= target;

export function boundsOf(results: Pick<BenchResults, "edgeq" | "machine">): DrainBound[] {
  return results.edgeq.filter((run) => run.batch >= 100).map((run) => drainBound(run, results.machine.cpus));
}

export function ratiosOf(results: Omit<BenchResults, "ratios" | "targets" | "bounds">): Record<string, number | null> {
  const best = headline(results);
  const claim = results.claimCost;
  return {
    drainBatch100VsBullmq: ratio(best?.drainPerSecond, results.bullmq?.drainPerSecond),
    overallBatch100VsBullmq: ratio(best?.overallPerSecond, results.bullmq?.overallPerSecond),
    drainBatch100VsRedisLimit: ratio(best?.drainPerSecond, results.limit?.tasksPerSecond),
    bullmqDrainVsRedisLimit: ratio(results.bullmq?.drainPerSecond, results.limit?.tasksPerSecond),
    commandsBullmqOverEdgeq: ratio(
      results.bullmq ? results.bullmq.enqueue.commands + results.bullmq.drain.commands : undefined,
      best ? best.enqueue.commands + best.drain.commands : undefined,
    ),
    // CPU time is less sensitive than wall time to other work on the machine
    cpuPerTaskBullmqOverEdgeq: ratio(results.bullmq ? cpuPerTask(results.bullmq) : undefined, best ? cpuPerTask(best) : undefined),
    memoryBullmqOverEdgeq: ratio(results.memory.bullmq ?? undefined, results.memory.edgeq ?? undefined),
    claimServerLargeOverSmall: ratio(claim?.large.serverP50Us, claim?.small.serverP50Us),
    claimClientLargeOverSmall: ratio(claim?.large.clientP50Ms, claim?.small.clientP50Ms),
  };
}

export function targetsOf(results: Omit<BenchResults, "targets" | "bounds">): TargetCheck[] {
  const best = headline(results);
  const r = results.ratios;
  const commands = best ? best.enqueue.commands + best.drain.commands : undefined;
  const requests = best ? (best.enqueue.requests ?? 0) + (best.drain.requests ?? 0) : undefined;
  const checks: TargetCheck[] = [];
  const add = (target: string, value: number | null | undefined, text: (v: number) => string, met: (v: number) => boolean) =>
    checks.push(value === null || value === undefined ? { target, measured: "not measured", met: null } : { target, measured: text(value), met: met(value) });
  add("drain throughput at batch 100 ≥ 3× BullMQ's", r.drainBatch100VsBullmq, (v) => `${v.toFixed(2)}×`, (v) => v >= 3);
  add("≤ 0.15 Redis commands per task (enqueue+claim+complete, batch 100)", commands, (v) => v.toFixed(3), (v) => atMost(v, 0.15, 3));
  add("≤ 0.02 REST requests per task (enqueue+claim+complete, batch 100)", requests, (v) => v.toFixed(4), (v) => atMost(v, 0.02, 3));
  add("≤ 250 bytes of Redis memory per queued task (80-byte input)", results.memory.edgeq, (v) => `${Math.round(v)} B`, (v) => v <= 250);
  add(`claim cost flat within 1.2× from ${results.claimCost?.small.depth ?? "1k"} to ${results.claimCost?.large.depth ?? "1M"} queued (script time)`, r.claimServerLargeOverSmall, (v) => `${v.toFixed(2)}×`, (v) => v <= 1.2);
  add("push-path latency p50 ≤ 15 ms", results.pushLatency?.p50Ms, (v) => `${v.toFixed(1)} ms`, (v) => v <= 15);
  add("push-path latency p99 ≤ 50 ms", results.pushLatency?.p99Ms, (v) => `${v.toFixed(1)} ms`, (v) => v <= 50);
  return checks;
}
