/**
 * What jobs add to the cost of a task: a job of N map tasks drained at batch B (claim and complete
 * as one settleAndClaim request per batch, as the runtime does), folded after each batch, against
 * the same N plain tasks. Redis commands from INFO commandstats (script-inner calls included) and
 * REST requests, per task.
 *   node --import tsx bench/job-cost.ts [--tasks 10000] [--batch 100]
 */
import { parseArgs } from "node:util";
import { Redis } from "@upstash/redis";
import { z } from "zod";
import { createTaskQueue } from "../src/queue/index";
import { createJobStore } from "../src/queue/jobs/store";
import type { ClaimedTask, EnqueueRequest } from "../src/queue/types";
import { defineJob } from "../src/runtime/job";
import { foldQueue } from "../src/runtime/jobs/fold";
import { mapTaskId } from "../src/runtime/jobs/split";
import { createLogger } from "../src/runtime/logger";
import { commandDelta, RedisProbe } from "./redis-probe";
import { countRestRequests } from "./rest-counter";
import { startBenchServers } from "./servers";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "10000" }, batch: { type: "string", default: "100" } } });
const N = Number(values.tasks);
const B = Number(values.batch);

const servers = await startBenchServers();
const probe = new RedisProbe(servers.redisUrl);
const rest = countRestRequests(servers.restUrl);
const redis = new Redis({ url: servers.restUrl, token: servers.restToken, responseEncoding: false, automaticDeserialization: false, enableTelemetry: false });
const tasks = createTaskQueue(redis, {});
const jobs = createJobStore(redis);
const sum = defineJob({
  name: "sum", input: z.unknown(), split: () => [], map: (i: number) => i, initial: () => 0, reduce: (a: number, b: number) => a + b,
});
const foldDeps = { jobs, functions: { job: () => sum }, clock: { now: Date.now }, log: createLogger("error", {}), onJobFailed: async () => {} };

/** Drains `queue` batch by batch; `afterBatch` runs after each settle (the runtime's fold hook). */
async function drain(queue: string, afterBatch: () => Promise<unknown>): Promise<void> {
  let batch: ClaimedTask[] = await tasks.claim(queue, B);
  while (batch.length > 0) {
    const completions = batch.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: task.input }));
    batch = (await tasks.settleAndClaim(queue, { completions, failures: [] }, B)).claimed;
    await afterBatch();
  }
}

async function measure(label: string, run: () => Promise<void>) {
  const before = await probe.commands();
  const requests = rest.requests();
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const delta = commandDelta(before, await probe.commands());
  return { label, commandsPerTask: delta.total / N, requestsPerTask: (rest.requests() - requests) / N, tasksPerSecond: N / (ms / 1000), byCommand: delta.byCommand };
}

try {
  await probe.reset();
  const plain = await measure("plain tasks", async () => {
    for (let at = 0; at < N; at += 1000) {
      await tasks.enqueue("plain", Array.from({ length: Math.min(1000, N - at) }, (_, i): EnqueueRequest => ({ fn: "sum", input: at + i })));
    }
    await drain("plain", async () => {});
  });
  const job = await measure("job map tasks + fold", async () => {
    await jobs.create({ id: "J1", fn: "sum", queue: "jobq", input: null, total: N, maxFailures: 0, acc: "0" });
    for (let at = 0; at < N; at += 1000) {
      await tasks.enqueue("jobq", Array.from({ length: Math.min(1000, N - at) }, (_, i): EnqueueRequest => ({ fn: "sum", input: at + i, id: mapTaskId("J1", at + i), jobId: "J1" })));
    }
    await drain("jobq", () => foldQueue("jobq", foldDeps, Date.now() + 10_000));
  });
  const finished = await jobs.get("J1");
  if (finished?.result !== (N * (N - 1)) / 2) throw new Error(`wrong fold: ${JSON.stringify(finished)}`);
  for (const row of [plain, job]) {
    console.log(`${row.label.padEnd(22)} ${row.commandsPerTask.toFixed(3)} commands/task  ${row.requestsPerTask.toFixed(4)} requests/task  ${row.tasksPerSecond.toFixed(0)} tasks/s`);
  }
  console.log(`jobs add ${(job.commandsPerTask - plain.commandsPerTask).toFixed(3)} commands and ${(job.requestsPerTask - plain.requestsPerTask).toFixed(4)} requests per task (batch ${B}, ${N} tasks)`);
  console.log("job run by command:", JSON.stringify(job.byCommand));
} finally {
  await probe.close();
  await servers.stop();
}
