/**
 * `npm run demo`: the local stack, then a real distributed computation over HTTP: count the primes
 * below a billion in 500 map tasks, with a live progress bar, checked against a single-process run
 * of the same sieve (and the known value of pi(10^9)).
 *
 *   npm run demo -- --workers 2     several Worker processes behind one URL (real parallelism)
 *   npm run demo -- --exit          stop once the answer is checked (the default when not on a TTY)
 *   npm run demo -- --stack-file F  describe the stack in F instead of .edgeq/stack.json (removed on stop)
 *   npm run demo -- --below 100000000 --tasks 200
 *   npm run demo -- --data logs --mb 256   the log-stats job over seeded access logs in R2 (log-demo.ts)
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { countPrimes } from "../functions/count-primes";
import { runJobWithProgress } from "../src/client/cli/job-run";
import { createClient } from "../src/client/index";
import { NO_BLOBS } from "../src/blobs/store";
import { createLogger } from "../src/runtime/logger";
import type { TaskContext } from "../src/runtime/types";
import { runLogStats } from "./log-demo";
import { startStack, writeStackInfo } from "./stack";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "1" },
    below: { type: "string", default: "1000000000" },
    tasks: { type: "string", default: "500" },
    "cron-every": { type: "string", default: "5" },
    exit: { type: "boolean", default: false },
    data: { type: "string" },
    mb: { type: "string", default: "64" },
    "chunk-mb": { type: "string", default: "4" },
    seed: { type: "string", default: "7" },
    "stack-file": { type: "string" },
  },
});
const workers = Math.max(1, Number(values.workers));
const below = Number(values.below);
const tasks = Number(values.tasks);
/** pi(10^k): an answer known independently of this code. */
const KNOWN: Record<number, number> = { 1e6: 78_498, 1e7: 664_579, 1e8: 5_761_455, 1e9: 50_847_534, 1e10: 455_052_511 };

const say = (line: string) => process.stdout.write(`${line}\n`);
say(`edgeq demo: starting the local stack with ${workers} worker process${workers > 1 ? "es" : ""}…`);
const stack = await startStack({ workers, cronEverySeconds: Number(values["cron-every"]), quiet: true });
let stopping = false;
let stackFile: string | undefined;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  // A stack file left behind would point tools at closed ports.
  if (stackFile) rmSync(stackFile, { force: true });
  process.exit(code);
};
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

try {
  stackFile = writeStackInfo(stack.info, values["stack-file"]);
  const client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken });
  // Small batches and several invocations per worker process: the tasks spread over every process.
  // If an invocation dies (on a loaded machine wrangler dev now and then answers a few pushes with
  // 503 mid-batch), its batch runs again once its lease is out: the map timeout of primes-below,
  // 15 s, since a lease is never shorter than its task's timeout. Live batches renew theirs.
  const queue = "demo";
  await client.updateQueue(queue, { batchSize: 5, maxParallel: 6 * workers, leaseMs: 10_000 });
  if (values.data !== undefined && values.data !== "logs") throw new Error(`--data takes "logs", not "${values.data}"`);
  if (values.data === "logs") await stop((await logDemo(client, queue)) ? 0 : 1);

  say(`\nCounting the primes below ${below.toLocaleString("en")} in ${tasks} map tasks (job "primes-below")…`);
  const { job, seconds } = await runJobWithProgress(client, "primes-below", { below, tasks }, { queue });
  if (job.status !== "succeeded") throw new Error(`the job ended ${job.status}: ${job.error ?? ""}`);
  const primes = (job.result as { primes: number }).primes;
  say(`\nprimes below ${below.toLocaleString("en")}: ${primes.toLocaleString("en")}`);
  say(`distributed: ${seconds.toFixed(2)} s for ${job.total} tasks (${(job.total / seconds).toFixed(0)} tasks/s) on ${workers} worker process${workers > 1 ? "es" : ""}`);

  say("checking with a single-process run of the same sieve…");
  const local = await countLocally(below);
  const known = KNOWN[below];
  const agrees = local.primes === primes && (known === undefined || known === primes);
  say(`single process: ${local.primes.toLocaleString("en")} in ${local.seconds.toFixed(2)} s${known === undefined ? "" : ` (known value: ${known.toLocaleString("en")})`}`);
  say(agrees ? "check: the distributed answer is right" : "check: MISMATCH");
  say(`\ndashboard: ${stack.info.workerUrl}/dashboard   (token: ${stack.info.apiToken})`);
  say(`stack details: ${stackFile}; try: node src/client/cli/edgeq.mjs job run estimate-pi --input '{"tasks":200,"samples":100000}'`);

  if (!agrees) await stop(1);
  else if (values.exit || !process.stdout.isTTY) await stop(0);
  else say("\nThe stack stays up; Ctrl-C stops it.");
} catch (error) {
  process.stderr.write(`edgeq demo failed: ${(error as Error).message}\n`);
  await stop(1);
}

/** The same segmented sieve as the map tasks, over the whole range in this one process. */
async function countLocally(limit: number): Promise<{ primes: number; seconds: number }> {
  const started = Date.now();
  const ctx: TaskContext = { taskId: "local", queue: "local", attempt: 1, signal: new AbortController().signal, log: createLogger("error", {}), progress: () => {}, blobs: NO_BLOBS };
  const span = 50_000_000;
  let primes = 0;
  for (let from = 0; from < limit; from += span) primes += (await countPrimes.run({ from, to: Math.min(limit, from + span) }, ctx)).count;
  return { primes, seconds: (Date.now() - started) / 1000 };
}

async function logDemo(client: ReturnType<typeof createClient>, queue: string): Promise<boolean> {
  const mb = Number(values.mb);
  say(`\nlog-stats over ${mb} MB of access logs in R2, ${values["chunk-mb"]} MB per map task…`);
  const run = await runLogStats(client, { mb, seed: Number(values.seed), chunkMb: Number(values["chunk-mb"]), queue, say });
  say(JSON.stringify(run.job.result, null, 2));
  say(`distributed: ${run.job.seconds.toFixed(2)} s, ${run.job.tasks} map tasks, ${run.job.mbPerSecond.toFixed(1)} MB/s on ${workers} worker process${workers > 1 ? "es" : ""}`);
  say(`single process (same objects, read through the API): ${run.single.seconds.toFixed(2)} s, ${run.single.mbPerSecond.toFixed(1)} MB/s`);
  say(run.agrees ? "check: the distributed answer equals the single-process pass" : "check: MISMATCH");
  return run.agrees;
}
