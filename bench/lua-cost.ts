/**
 * Redis time of the drain's scripts per task at batch 100: what bounds the core drain (BENCHMARKS.md
 * "What bounds the drain"). Per round it fills a queue, then measures three phases by INFO commandstats
 * (a script's usec include its inner calls): claims alone, completions alone, and a drain by four
 * loops that settle a batch and claim the next in one call (settleAndClaim) at the real clock. It
 * prints the script µs per task of each phase, redis-server's CPU per task over the drain, and the
 * inner calls per script call by command.
 *
 * `--against <dir>` runs the queue core of another tree (e.g. `git archive <commit> | tar -x -C dir`,
 * with node_modules linked) in alternating rounds on the same redis-server, so a change is measured
 * A/B under the same load: compare µs and CPU per task, not rates, on a shared machine.
 *
 * Run: node --import tsx bench/lua-cost.ts [--tasks 20000] [--rounds 3] [--against /tmp/base]
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { Redis } from "@upstash/redis";
import type { TaskQueue } from "../src/queue/types";
import { processCpuMs } from "./cpu";
import { benchQueueName, drainLoop, noopTasks } from "./edgeq-workload";
import { commandDelta, RedisProbe, type CommandCounts } from "./redis-probe";
import { startBenchServers, type BenchServers } from "./servers";
import { chunks, inParallel } from "./workload";

const BATCH = 100;
const LOOPS = 4;

type MakeQueue = (redis: Redis) => TaskQueue;
interface Variant {
  label: string;
  make: MakeQueue;
}
interface Phase {
  /** Script µs per task (EVALSHA and EVAL, inner calls included). */
  scriptUs: number[];
  /** redis-server CPU µs per task over the phase. */
  cpuUs: number[];
  /** Inner calls per script call, by command, summed over rounds (divided at the end). */
  inner: Record<string, number>;
  calls: number;
}

const args = parseArgs({
  options: { tasks: { type: "string", default: "20000" }, rounds: { type: "string", default: "3" }, against: { type: "string" } },
}).values;
const TASKS = Number(args.tasks);
const ROUNDS = Number(args.rounds);

function client(servers: BenchServers): Redis {
  return new Redis({ url: servers.restUrl, token: servers.restToken, responseEncoding: false, automaticDeserialization: false, enableTelemetry: false });
}

async function variants(): Promise<Variant[]> {
  const own = await import("../src/queue/index");
  const list: Variant[] = [{ label: "this tree", make: (redis) => own.createTaskQueue(redis) }];
  if (args.against) {
    const dir = resolve(args.against);
    const other = (await import(`${dir}/src/queue/index.ts`)) as typeof own;
    list.unshift({ label: dir, make: (redis) => other.createTaskQueue(redis) });
  }
  return list;
}

function emptyPhase(): Phase {
  return { scriptUs: [], cpuUs: [], inner: {}, calls: 0 };
}

function record(phase: Phase, delta: CommandCounts, cpuMs: number): void {
  const calls = (delta.byCommand.evalsha ?? 0) + (delta.byCommand.eval ?? 0);
  phase.scriptUs.push(((delta.usecByCommand.evalsha ?? 0) + (delta.usecByCommand.eval ?? 0)) / TASKS);
  phase.cpuUs.push((cpuMs * 1000) / TASKS);
  phase.calls += calls;
  for (const [command, n] of Object.entries(delta.byCommand)) {
    if (command !== "evalsha" && command !== "eval") phase.inner[command] = (phase.inner[command] ?? 0) + n;
  }
}

async function measured(probe: RedisProbe, redisPid: number, phase: Phase, work: () => Promise<unknown>): Promise<void> {
  const before = await probe.commands();
  const cpu0 = processCpuMs(redisPid);
  await work();
  const cpuMs = processCpuMs(redisPid) - cpu0;
  record(phase, commandDelta(before, await probe.commands()), cpuMs);
}

async function fill(queues: TaskQueue[], name: string): Promise<void> {
  await inParallel(chunks(noopTasks(TASKS), BATCH), queues.length, async (batch, loop) => void (await queues[loop]!.enqueue(name, batch)));
}

/** One round of one variant: claim alone, complete alone, then the settleAndClaim drain. */
async function round(queues: TaskQueue[], probe: RedisProbe, redisPid: number, phases: Record<string, Phase>): Promise<void> {
  await probe.reset();
  const apart = benchQueueName("lua-apart");
  await fill(queues, apart);
  const batches: Awaited<ReturnType<TaskQueue["claim"]>>[] = [];
  await measured(probe, redisPid, phases.claim!, async () => {
    for (let c = await queues[0]!.claim(apart, BATCH); c.length > 0; c = await queues[0]!.claim(apart, BATCH)) batches.push(c);
  });
  await measured(probe, redisPid, phases.complete!, async () => {
    for (const batch of batches) await queues[0]!.complete(apart, batch.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
  });
  const drained = benchQueueName("lua-drain");
  await fill(queues, drained);
  await measured(probe, redisPid, phases.drain!, () => Promise.all(queues.map((queue) => drainLoop(queue, drained, BATCH, false))));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function report(label: string, phases: Record<string, Phase>): void {
  console.log(`\n${label}: median of ${ROUNDS} rounds, ${TASKS} tasks a phase, batch ${BATCH}`);
  console.log("phase\tscript µs/task\tredis CPU µs/task\tscript calls/round\tinner calls per script call");
  for (const [name, phase] of Object.entries(phases)) {
    const perCall = Object.entries(phase.inner)
      .sort(([, a], [, b]) => b - a)
      .map(([command, n]) => `${command} ${(n / phase.calls).toFixed(2)}`)
      .join(", ");
    const total = Object.values(phase.inner).reduce((s, n) => s + n, 0) / phase.calls;
    console.log(`${name}\t${median(phase.scriptUs).toFixed(2)} (${phase.scriptUs.map((v) => v.toFixed(2)).join(" ")})\t${median(phase.cpuUs).toFixed(2)}\t${(phase.calls / ROUNDS).toFixed(0)}\t${total.toFixed(2)}: ${perCall}`);
  }
}

const servers = await startBenchServers();
const probe = new RedisProbe(servers.redisUrl);
try {
  const list = await variants();
  const results = list.map(() => ({ claim: emptyPhase(), complete: emptyPhase(), drain: emptyPhase() }));
  for (let r = 0; r < ROUNDS; r++) {
    // alternate which goes first, so that neither always meets the other's leftovers
    const order = r % 2 === 0 ? list.map((_, i) => i) : list.map((_, i) => list.length - 1 - i);
    for (const i of order) {
      const queues = Array.from({ length: LOOPS }, () => list[i]!.make(client(servers)));
      await round(queues, probe, servers.redisPid, results[i]!);
    }
  }
  list.forEach((variant, i) => report(variant.label, results[i]!));
} finally {
  await probe.close();
  await servers.stop();
}
process.exit(0);
