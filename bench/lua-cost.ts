/**
 * Redis time of the drain's script per task at batch 100: what bounds the core drain (BENCHMARKS.md
 * "What bounds the drain"). One client claims, completes, and settles-and-claims batches of 100 one
 * call at a time and reads INFO commandstats after each call (a script's usec include its inner
 * calls), so each call's time is its own; medians over the calls, so that a call the machine's load
 * preempted does not move the figure. It prints µs per task of each kind of call and the inner calls
 * per call by command.
 *
 * `--against <dir>` runs the queue core of another tree as well (e.g. `git archive <commit> | tar -x
 * -C dir`, with node_modules linked), on the same redis-server with its calls alternating with this
 * tree's, so a change is measured A/B under the same load.
 *
 * Run: node --import tsx bench/lua-cost.ts [--tasks 20000] [--batch 100] [--against /tmp/base]
 * (a batch of 1 shows what a call costs whatever its size)
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { Redis } from "@upstash/redis";
import type { ClaimedTask, TaskQueue } from "../src/queue/types";
import { benchQueueName, noopTasks } from "./edgeq-workload";
import { commandDelta, RedisProbe } from "./redis-probe";
import { startBenchServers, type BenchServers } from "./servers";
import { chunks } from "./workload";

const PHASES = ["claim", "complete", "settleAndClaim"] as const;
type PhaseName = (typeof PHASES)[number];

interface Variant {
  label: string;
  queue: TaskQueue;
  name: string;
  claimed: ClaimedTask[][];
  /** Per phase: script µs of each call, and inner calls by command over all calls. */
  micros: Record<PhaseName, number[]>;
  /** Per phase: of each call's script µs, those spent in Lua itself (the inner calls' µs taken out). */
  luaMicros: Record<PhaseName, number[]>;
  inner: Record<PhaseName, Record<string, number>>;
}

const args = parseArgs({ options: { tasks: { type: "string", default: "20000" }, batch: { type: "string", default: "100" }, against: { type: "string" } } }).values;
const TASKS = Number(args.tasks);
const BATCH = Number(args.batch);

function client(servers: BenchServers): Redis {
  return new Redis({ url: servers.restUrl, token: servers.restToken, responseEncoding: false, automaticDeserialization: false, enableTelemetry: false });
}

async function variants(servers: BenchServers): Promise<Variant[]> {
  const trees = [...(args.against ? [resolve(args.against)] : []), "this tree"];
  return Promise.all(
    trees.map(async (tree) => {
      const core = (await import(tree === "this tree" ? "../src/queue/index" : `${tree}/src/queue/index.ts`)) as typeof import("../src/queue/index");
      const none = () => Object.fromEntries(PHASES.map((p) => [p, []]));
      return { label: tree, queue: core.createTaskQueue(client(servers)), name: benchQueueName("lua"), claimed: [], micros: none(), luaMicros: none(), inner: Object.fromEntries(PHASES.map((p) => [p, {}])) } as unknown as Variant;
    }),
  );
}

/** One call of a phase, timed by redis-server; false when there was nothing left to do. */
async function step(probe: RedisProbe, v: Variant, phase: PhaseName): Promise<boolean> {
  const done = (tasks: ClaimedTask[]) => tasks.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null }));
  let work: () => Promise<unknown>;
  if (phase === "claim") work = async () => v.claimed.push(await v.queue.claim(v.name, BATCH));
  else if (phase === "complete") {
    const batch = v.claimed.shift();
    if (!batch || batch.length === 0) return false;
    work = () => v.queue.complete(v.name, done(batch));
  } else {
    const batch = v.claimed.shift() ?? [];
    work = async () => v.claimed.push((await v.queue.settleAndClaim(v.name, { completions: done(batch), failures: [] }, BATCH)).claimed);
  }
  const before = await probe.commands();
  await work();
  const delta = commandDelta(before, await probe.commands());
  const scripts = (delta.byCommand.evalsha ?? 0) + (delta.byCommand.eval ?? 0);
  if (scripts === 0) return false;
  const scriptMicros = (delta.usecByCommand.evalsha ?? 0) + (delta.usecByCommand.eval ?? 0);
  const innerMicros = Object.entries(delta.usecByCommand).reduce((s, [c, us]) => (c === "evalsha" || c === "eval" ? s : s + us), 0);
  v.micros[phase].push(scriptMicros);
  v.luaMicros[phase].push(scriptMicros - innerMicros);
  for (const [command, n] of Object.entries(delta.byCommand)) v.inner[phase][command] = (v.inner[phase][command] ?? 0) + n;
  return !(phase !== "complete" && v.claimed.at(-1)!.length === 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function report(v: Variant): void {
  console.log(`\n${v.label}: batch ${BATCH}, ${TASKS} tasks a phase`);
  console.log("call\tcalls\tscript µs per call (median)\tµs per task\tof which Lua itself\tinner calls per call");
  for (const phase of PHASES) {
    const calls = v.micros[phase].length;
    const perCall = median(v.micros[phase]);
    // a settleAndClaim call completes one batch and claims the next: a task's claim and completion
    const inner = Object.entries(v.inner[phase]).filter(([c]) => c !== "evalsha" && c !== "eval").sort(([, a], [, b]) => b - a);
    const total = inner.reduce((s, [, n]) => s + n, 0) / calls;
    console.log(`${phase}\t${calls}\t${perCall.toFixed(0)}\t${(perCall / BATCH).toFixed(2)}\t${(median(v.luaMicros[phase]) / BATCH).toFixed(2)}\t${total.toFixed(2)}: ${inner.map(([c, n]) => `${c} ${(n / calls).toFixed(2)}`).join(", ")}`);
  }
}

const servers = await startBenchServers();
const probe = new RedisProbe(servers.redisUrl);
try {
  const list = await variants(servers);
  // claims and completions apart, then the drain's call: each phase from a full queue
  for (const phase of PHASES) {
    if (phase !== "complete") {
      for (const v of list) for (const batch of chunks(noopTasks(TASKS), 1000)) await v.queue.enqueue(v.name, batch);
    }
    if (phase === "settleAndClaim") for (const v of list) v.claimed = [await v.queue.claim(v.name, BATCH)];
    const active = new Set(list);
    for (let s = 0; active.size > 0; s++) {
      // alternate which goes first, so that neither always follows the other's writes
      for (const v of s % 2 === 0 ? list : [...list].reverse()) if (active.has(v) && !(await step(probe, v, phase))) active.delete(v);
    }
  }
  list.forEach(report);
} finally {
  await probe.close();
  await servers.stop();
}
process.exit(0);
