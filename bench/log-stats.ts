/**
 * Data in R2, measured through the local stack (dev/stack.ts):
 *   1. log-stats MB/s with 1 and 2 Worker processes, beside a single-process pass over the
 *      same objects (read back through the API); the answers must agree exactly.
 *   2. Redis cost per task of large payloads: commands (INFO commandstats, script-inner calls
 *      included) and bytes (used_memory growth while the finished tasks' records are kept) for echo
 *      tasks with 20-byte inputs against 256 KiB and 1 MiB inputs (kept in R2), and for the log-stats job
 *      against a small-payload job (estimate-pi) of the same task count.
 *
 *   node --import tsx bench/log-stats.ts [--mb 32] [--workers 1,2] [--tasks 40]
 *   node --import tsx bench/log-stats.ts --mb 1024            the issue's 1 GB run (minutes)
 *
 * The QStash dev server keeps its state in the same redis-server, so its commands (one push per
 * wake-up) are in every figure alike. Results go to stdout and bench/results/log-stats.json, and
 * from there to the README's "Data in R2" figures (bench/readme.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { runLogStats, uploadLogs } from "../dev/log-demo";
import { startStack } from "../dev/stack";
import { createClient, type EdgeqClient } from "../src/client/index";
import { rewriteReadme } from "./readme";
import { commandDelta, RedisProbe } from "./redis-probe";

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "32" },
    "chunk-mb": { type: "string", default: "2" },
    workers: { type: "string", default: "1,2" },
    tasks: { type: "string", default: "100" },
  },
});
const mb = Number(values.mb);
const tasks = Number(values.tasks);
const say = (line: string) => process.stderr.write(`${line}\n`);

interface Cost {
  workload: string;
  tasks: number;
  commandsPerTask: number;
  bytesPerTask: number;
  /** The five commands called most, per task (the probe's own polls not subtracted here). */
  topCommands: Record<string, number>;
}

/**
 * Commands and memory of `run`, less the bench's own progress polls: `run` waits with `check`
 * (one API read per 250 ms, counted), and as many reads of the finished workload are measured
 * afterwards and subtracted, so that a slower workload is not charged for being watched longer.
 */
async function measured(probe: RedisProbe, workload: string, count: number, start: () => Promise<void>, check: () => Promise<boolean>): Promise<Cost> {
  const memoryBefore = await probe.usedMemory();
  const before = await probe.commands();
  await start();
  let polls = 0;
  for (; !(await check()); polls++) await new Promise((resolve) => setTimeout(resolve, 250));
  const delta = commandDelta(before, await probe.commands());
  const commands = delta.total;
  const topCommands = Object.fromEntries(
    Object.entries(delta.byCommand)
      .sort(([, a], [, b]) => b - a)
      .slice(0, 5)
      .map(([name, calls]) => [name, round(calls / count)]),
  );
  const bytes = (await probe.usedMemory()) - memoryBefore;
  const pollsBefore = await probe.commands();
  for (let i = 0; i <= polls; i++) await check();
  const pollCommands = commandDelta(pollsBefore, await probe.commands()).total;
  const cost = { workload, tasks: count, commandsPerTask: round((commands - pollCommands) / count), bytesPerTask: Math.round(bytes / count), topCommands };
  say(`${workload}: ${cost.commandsPerTask} Redis commands and ${cost.bytesPerTask} bytes per task`);
  return cost;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function echoTasks(probe: RedisProbe, client: EdgeqClient, workload: string, queue: string, inputBytes: number): Promise<Cost> {
  const pad = "x".repeat(inputBytes);
  // A request body holds at most 26 MB: large inputs go in several requests.
  const perRequest = Math.max(1, Math.floor(16_000_000 / (inputBytes + 100)));
  const start = async () => {
    for (let from = 0; from < tasks; from += perRequest) {
      await client.enqueueMany(queue, Array.from({ length: Math.min(perRequest, tasks - from) }, (_, i) => ({ fn: "echo", input: { n: from + i, pad } })));
    }
  };
  return measured(probe, workload, tasks, start, async () => {
    const { counts } = await client.getQueue(queue);
    if ((counts.dead ?? 0) > 0) throw new Error(`${queue}: tasks died`);
    return counts.succeeded === tasks;
  });
}

async function job(probe: RedisProbe, client: EdgeqClient, workload: string, fn: string, input: unknown, queue: string): Promise<Cost> {
  let id = "";
  return measured(probe, workload, tasks, async () => {
    const started = await client.startJob(fn, input, queue);
    if (started.total !== tasks) throw new Error(`${fn} has ${started.total} tasks, not ${tasks}`);
    id = started.id;
  }, async () => {
    const state = await client.getJob(id);
    if (state.status !== "running" && state.status !== "succeeded") throw new Error(`${fn} ended ${state.status}`);
    return state.status === "succeeded";
  });
}

const throughput = [];
let costs: Cost[] = [];
// The machine's load while the bench ran (1-minute average, sampled per stack): other work shares the cores.
const loads: number[] = [];
for (const workers of values.workers.split(",").map(Number)) {
  say(`\nlocal stack with ${workers} worker process${workers > 1 ? "es" : ""}…`);
  const stack = await startStack({ workers, cronEverySeconds: 3600, quiet: true });
  try {
    const client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken });
    await client.updateQueue("bench-logs", { batchSize: 2, maxParallel: 4 * workers, leaseMs: 30_000 });
    const run = await runLogStats(client, { mb, seed: 11, chunkMb: Number(values["chunk-mb"]), queue: "bench-logs", showProgress: false, say });
    loads.push(loadavg()[0]!);
    if (!run.agrees) throw new Error("log-stats and the single-process pass disagree");
    if (run.job.tasks === 0 || (run.job.result as { files: number }).files === 0) throw new Error("log-stats found no objects: the worker processes do not share the bucket");
    throughput.push({ workers, mb: round(run.upload.bytes / 1e6), mapTasks: run.job.tasks, jobMBps: round(run.job.mbPerSecond), singleProcessMBps: round(run.single.mbPerSecond), agrees: run.agrees });
    say(`log-stats: ${round(run.job.mbPerSecond)} MB/s in ${run.job.tasks} map tasks; single process: ${round(run.single.mbPerSecond)} MB/s; answers agree`);
    if (costs.length === 0) {
      const probe = new RedisProbe(`redis://127.0.0.1:${stack.info.redisPort}`);
      // log-stats over `tasks` ranges of 64 KiB, beside estimate-pi with as many tasks.
      const small = await uploadLogs(client, { mb: (tasks * 65_536) / 1e6, seed: 12, prefix: "bench-cost/" });
      // Warm-up: what the first workload would otherwise pay alone (scripts loaded, shared keys made).
      await echoTasks(probe, client, "warm-up", "bench-warm", 20);
      costs = [
        await echoTasks(probe, client, "echo, 20-byte inputs", "bench-small", 20),
        await echoTasks(probe, client, "echo, 256 KiB inputs and results (in R2)", "bench-large", 256 * 1024),
        await echoTasks(probe, client, "echo, 1 MiB inputs and results (in R2)", "bench-larger", 1024 * 1024),
        await job(probe, client, "estimate-pi job (small payloads)", "estimate-pi", { tasks, samples: 1_000 }, "bench-pi"),
        await job(probe, client, "log-stats job (64 KiB ranges of R2 objects)", "log-stats", { prefix: small.prefix, chunkBytes: Math.ceil(small.bytes / tasks) }, "bench-ls"),
      ];
      await probe.close();
    }
  } finally {
    await stack.stop();
  }
}

const machine = { cores: cpus().length, loadAverage: round(Math.max(...loads)), note: "shared with other work: figures are relative" };
const results = { machine, chunkMb: Number(values["chunk-mb"]), throughput, costs };
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/log-stats.json", `${JSON.stringify(results, null, 2)}\n`);
rewriteReadme();
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
