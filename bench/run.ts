/**
 * npm run bench [-- --quick] [--workers N] [--only latency]: measures edgeq, BullMQ and the redis-benchmark limit side by side on one
 * private redis-server, then the full system on the local stack, and writes the table to the console,
 * bench/results/latest.json and bench/BENCHMARKS.md. A section that cannot run is reported, never fatal.
 * `--only latency` measures the push-path latency alone and prints it, writing no results file.
 * `--only system` measures what a client sees (issue 11's table, bench/system.ts) with 1 and 2
 * Worker processes, and writes bench/results/system.json.
 * `--render` measures nothing: it rewrites BENCHMARKS.md and the README's table from bench/results.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { TaskQueue } from "../src/queue/types";
import { BULLMQ_CONCURRENCY, bullMemoryPerTask, bullThroughput } from "./bullmq-workload";
import { claimCostAtDepths } from "./claim-cost";
import { cpuProbe } from "./cpu";
import { queueClients } from "./edgeq-client";
import { edgeqMemoryPerTask, edgeqThroughput } from "./edgeq-workload";
import { machine, versions } from "./machine";
import { loadBullMQ, type BullMQ } from "./peer";
import { benchPlan } from "./plan";
import { qstashHop } from "./qstash-hop";
import { RedisProbe } from "./redis-probe";
import { redisLimit } from "./redis-benchmark";
import { renderTables, writeResults } from "./report";
import { rewriteReadme } from "./readme";
import { readResults } from "./summary";
import { countRestRequests } from "./rest-counter";
import { restFloor } from "./rest-floor";
import { boundsOf, ratiosOf, targetsOf, type BenchResults } from "./run-results";
import { startBenchServers } from "./servers";
import { measureFullSystem } from "./stack-workload";
import { runSystemBench } from "./system";
import { INPUT_BYTES, medianRound, stopOnSignal, type ThroughputResult } from "./workload";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    // Worker processes of the full system (behind one URL)
    workers: { type: "string", default: "1" },
    only: { type: "string" },
    render: { type: "boolean", default: false },
  },
});
const plan = benchPlan(values.quick ?? false);
const stackWorkers = Number(values.workers);
if (!Number.isInteger(stackWorkers) || stackWorkers < 1) {
  console.error(`--workers must be a positive integer, got ${values.workers}`);
  process.exit(2);
}
if (values.only !== undefined && values.only !== "latency" && values.only !== "system") {
  console.error(`--only takes "latency" or "system", got ${values.only}`);
  process.exit(2);
}
const started = performance.now();
const log = (message: string) => console.error(`bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)}s  ${message}`);

const notMeasured: BenchResults["notMeasured"] = [];
async function section<T>(name: string, work: () => Promise<T>): Promise<T | null> {
  log(name);
  try {
    return await work();
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    const reason = [message + cause, servers.restFailure()].filter(Boolean).join("; ");
    log(`  ${name} not measured: ${reason}`);
    notMeasured.push({ section: name, reason });
    return null;
  }
}

/** BENCHMARKS.md and the README's table, from the results files as they now are. */
function render(results: BenchResults): void {
  const written = writeResults(results);
  log(`wrote ${written.json} and ${written.markdown}`);
  rewriteReadme();
}

if (values.render) {
  const latest = readResults<BenchResults>("latest");
  if (!latest) throw new Error("bench/results/latest.json is missing: run npm run bench first");
  render(latest);
  process.exit(0);
}

if (values.only === "system") {
  await runSystemBench(values.quick ?? false);
  // BENCHMARKS.md and the README show the system figures beside the last full run's
  const latest = readResults<BenchResults>("latest");
  if (latest) render(latest);
  else rewriteReadme();
  process.exit(0);
}

if (values.only === "latency") {
  const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
  log(`push-path latency, ${plan.latencyTasks} tasks (load average ${load()})`);
  const { latency } = await measureFullSystem(plan.latencyTasks, 0, stackWorkers);
  console.log(JSON.stringify({ ...latency, loadAverage: load() }, null, 2));
  process.exit(0);
}

const servers = await startBenchServers();
const undoServerSignal = stopOnSignal(() => servers.stop());
const probe = new RedisProbe(servers.redisUrl);
const rest = countRestRequests(servers.restUrl);
const cpu = cpuProbe({ rest: servers.restPid, redis: servers.redisPid });
const results: Omit<BenchResults, "ratios" | "targets" | "bounds"> = {
  mode: plan.mode,
  startedAt: new Date().toISOString(),
  seconds: 0,
  machine: machine(),
  versions: versions(await probe.version(), "unknown", null),
  edgeq: [],
  bullmq: null,
  limit: null,
  restFloor: [],
  memory: { tasks: plan.memoryTasks, inputBytes: INPUT_BYTES, edgeq: null, bullmq: null },
  claimCost: null,
  pushLatency: null,
  qstashHop: null,
  endToEnd: null,
  notMeasured,
};

try {
  results.limit = await section("redis-benchmark LPUSH/RPOP limit", () => redisLimit(servers.redisPort, plan.redisBenchmarkRequests));

  for (const loops of [1, 4]) {
    const floor = await section(`REST round trips (PING), ${loops} loop(s)`, () => restFloor(servers, cpu, loops, plan.restFloorSeconds));
    if (floor) results.restFloor.push(floor);
  }

  const queues: TaskQueue[] = queueClients(servers, Math.max(...plan.edgeq.map((run) => run.loops)));
  const bull: BullMQ | null = await section("BullMQ (bench/.peer)", loadBullMQ);
  const connection = { host: "127.0.0.1", port: servers.redisPort, maxRetriesPerRequest: null };
  // Discarded: the first thousand requests run before the JIT has compiled the clients' hot paths.
  await section("edgeq warm-up (not reported)", () => edgeqThroughput(queues, { probe, rest, cpu }, { batch: 10, loops: 4, tasks: plan.warmupTasks, readResults: true }));
  if (bull) await section("BullMQ warm-up (not reported)", () => bullThroughput(bull, connection, probe, cpu, { tasks: plan.warmupTasks, batch: 100 }));
  // Rounds interleave the systems so that both see the same machine; each configuration reports its median round.
  const edgeqRounds = plan.edgeq.map((): ThroughputResult[] => []);
  const bullRounds: ThroughputResult[] = [];
  for (let round = 1; round <= plan.rounds; round++) {
    for (const [i, run] of plan.edgeq.entries()) {
      const result = await section(`round ${round}: edgeq batch ${run.batch}, ${run.loops} loop(s)${run.separateSettle ? " claim and complete apart" : ""}, ${run.tasks} tasks`, () =>
        edgeqThroughput(queues, { probe, rest, cpu }, { ...run, readResults: run.batch === 100 }),
      );
      if (result) edgeqRounds[i]!.push(result);
    }
    const result = bull && (await section(`round ${round}: BullMQ concurrency ${BULLMQ_CONCURRENCY}, ${plan.bullmq.tasks} tasks`, () => bullThroughput(bull, connection, probe, cpu, plan.bullmq)));
    if (result) bullRounds.push(result);
  }
  results.edgeq = edgeqRounds.flatMap((rounds) => (rounds.length > 0 ? [medianRound(rounds)] : []));
  results.bullmq = bullRounds.length > 0 ? medianRound(bullRounds) : null;
  results.memory.edgeq = await section(`edgeq memory per queued task (${plan.memoryTasks} tasks)`, () => edgeqMemoryPerTask(queues, probe, plan.memoryTasks));
  const { small, large, samples } = plan.claimDepths;
  // the two depths sampled in alternation: one depth after the other swung 0.7–1.3× with the machine's load
  const claimCost = await section(`edgeq claim cost at ${small} and ${large} queued, alternating`, () => claimCostAtDepths(queues, probe, [small, large], samples));
  if (claimCost) results.claimCost = { small: claimCost[0]!, large: claimCost[1]! };
  results.qstashHop = await section("QStash dev server hop", () => qstashHop(servers.redisUrl, plan.latencyTasks));

  if (bull) {
    results.memory.bullmq = await section(`BullMQ memory per queued job (${plan.memoryTasks} jobs)`, () => bullMemoryPerTask(bull, connection, probe, plan.memoryTasks));
  }
  results.versions = versions(await probe.version(), results.limit?.version ?? "unknown", bull?.version ?? null);
} finally {
  await probe.close();
  await servers.stop();
  undoServerSignal();
}

// The full system starts its own stack; the servers above are stopped so they do not compete for CPU.
const fullSystem = await section("full system on the local stack", () => measureFullSystem(plan.latencyTasks, plan.endToEndTasks, stackWorkers));
if (fullSystem) {
  results.pushLatency = fullSystem.latency;
  results.endToEnd = fullSystem.endToEnd;
}

results.seconds = (performance.now() - started) / 1000;
const withRatios = { ...results, ratios: ratiosOf(results) };
const final: BenchResults = { ...withRatios, targets: targetsOf(withRatios), bounds: boundsOf(results) };
console.log(renderTables(final));
render(final);
// BullMQ and the HTTP clients may leave idle sockets: the run is over.
process.exit(0);
