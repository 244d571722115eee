/**
 * The keyspace at depth: with N tasks queued (80-byte inputs, spread over Q queues), the largest keys
 * by MEMORY USAGE, Redis bytes per queued task, whether Upstash's record-size limit (enforced by the
 * REST server, 100 MB) refuses an enqueue, and the claim script's time in Redis at the deepest queue
 * against a queue of one batch. Issue 13's target: no key over 16 MB at 10,000,000 tasks alive,
 * ≤ 250 bytes per queued task, claim cost flat.
 * Starts its own redis-server and REST server.
 *   node --import tsx bench/keyspace.ts [--tasks 1000000] [--queues 1] [--record-limit-mb 100]  (1,000,000: about a minute)
 *   EDGEQ_BENCH_10M=1 node --import tsx bench/keyspace.ts --tasks 10000000  (needs ~3 GB of memory)
 *   node --import tsx bench/keyspace.ts --mixed  (a quarter of the tasks dead, a quarter prioritized, a
 *     quarter delayed, half of them with a dedup key: the per-partition sets and dedup entries at depth)
 * Keeps its run in bench/results/keyspace.json (the latest at each depth) and rewrites the README's
 * figures from there.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type IORedis from "ioredis";
import { createTaskQueue } from "../src/queue/index";
import type { EnqueueRequest, TaskQueue } from "../src/queue/types";
import { CLAIM_BATCH } from "./claim-cost";
import type { KeyspaceResults, KeyspaceRun } from "./keyspace-tables";
import { rewriteReadme } from "./readme";
import { withKeyspaceServers } from "./keyspace-servers";
import { commandDelta, type RedisProbe } from "./redis-probe";
import { chunks, inParallel, percentile } from "./workload";

const MB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "1000000" },
    queues: { type: "string", default: "1" },
    samples: { type: "string", default: "30" },
    // Upstash's 100 MB by default; a larger one measures the layout past the point Upstash refuses it
    "record-limit-mb": { type: "string", default: "100" },
    mixed: { type: "boolean", default: false },
  },
});
const RECORD_LIMIT_MB = Number(values["record-limit-mb"]);
const TASKS = Number(values.tasks);
const QUEUES = Number(values.queues);
if (TASKS > 1_000_000 && process.env.EDGEQ_BENCH_10M !== "1") {
  console.error("more than 1,000,000 tasks needs EDGEQ_BENCH_10M=1 (several GB of memory and many minutes)");
  process.exit(2);
}
const INPUT = "x".repeat(78); // JSON.stringify gives 80 bytes
const MIXED = values.mixed ?? false;
export const MIX = "¼ dead, ¼ prioritized, ¼ delayed, ¼ ready; ½ with a dedup key";

/**
 * Task i of a mixed run, by i mod 4: 1 prioritized (1..5), 2 delayed by a day, 3 plain; 0 is enqueued
 * first and failed for good (deadTasks). Every other task has a dedup key. A plain run: all plain.
 */
function taskAt(i: number): EnqueueRequest {
  const task: EnqueueRequest = { fn: "echo", input: INPUT };
  if (!MIXED) return task;
  if (i % 2 === 0) task.dedupKey = `order-${i}`;
  if (i % 4 === 1) task.priority = 1 + (i % 5);
  if (i % 4 === 2) task.delayMs = 86_400_000;
  return task;
}

/** Claims everything queued in `name` and fails it for good: the mixed run's dead quarter. */
async function deadTasks(queue: TaskQueue, name: string): Promise<void> {
  for (let claimed = await queue.claim(name, 1000); claimed.length > 0; claimed = await queue.claim(name, 1000)) {
    await queue.fail(name, claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, error: "bench", retryable: false })));
  }
}

async function usedMemory(direct: IORedis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await direct.info("memory"))![1]);
}

/** Every key under the prefix with its MEMORY USAGE (all elements counted: SAMPLES 0), largest first. */
async function keySizes(direct: IORedis, prefix: string): Promise<[string, number][]> {
  const sizes: [string, number][] = [];
  let cursor = "0";
  do {
    const [next, keys] = await direct.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    for (const key of keys) sizes.push([key, Number(await direct.call("MEMORY", "USAGE", key, "SAMPLES", "0"))]);
  } while (cursor !== "0");
  return sizes.sort((a, b) => b[1] - a[1]);
}

/**
 * The claim of one batch at a steady depth, `samples` times: the claimed tasks are completed and as
 * many enqueued again between samples. Medians of the script's microseconds in redis-server (INFO
 * commandstats, inner calls included) and of the round trip through the REST server.
 */
async function claimCost(queue: TaskQueue, probe: RedisProbe, name: string, samples: number): Promise<{ serverUs: number; clientMs: number }> {
  const server: number[] = [];
  const client: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const before = await probe.commands();
    const started = performance.now();
    const claimed = await queue.claim(name, CLAIM_BATCH);
    client.push(performance.now() - started);
    const delta = commandDelta(before, await probe.commands());
    server.push((delta.usecByCommand.evalsha ?? 0) + (delta.usecByCommand.eval ?? 0));
    if (claimed.length !== CLAIM_BATCH) throw new Error(`claimed ${claimed.length} of ${CLAIM_BATCH} from ${name}`);
    await queue.complete(name, claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: null })));
    await queue.enqueue(name, claimed.map(() => ({ fn: "echo", input: INPUT })));
  }
  server.sort((a, b) => a - b);
  client.sort((a, b) => a - b);
  return { serverUs: percentile(server, 50), clientMs: percentile(client, 50) };
}

/** Keeps `run` as its depth's latest in bench/results/keyspace.json, then rewrites the README's figures. */
function record(run: KeyspaceRun): void {
  const file = new URL("./results/keyspace.json", import.meta.url);
  const results: KeyspaceResults = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { runs: {} };
  results.runs[`${run.mix ? "mixed-" : ""}${run.tasks}`] = run;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  rewriteReadme();
}

async function main() {
  const startedAt = new Date().toISOString();
  const loadAverage = loadavg()[0]!;
  await withKeyspaceServers({ recordSizeCheckMs: 200, maxRecordBytes: RECORD_LIMIT_MB * MB }, async ({ redis, direct, probe }) => {
    const queue = createTaskQueue(redis, { prefix: "ks" });
    const names = Array.from({ length: QUEUES }, (_, i) => `ks-${i}`);
    const before = await usedMemory(direct);
    const started = performance.now();
    let refusedAt: number | null = null;
    let done = 0;
    const enqueueAll = (indexes: number[]) =>
      inParallel(chunks(indexes, 1000), 4, async (batch) => {
        if (refusedAt !== null) return;
        try {
          await queue.enqueue(names[Math.floor(batch[0]! / 1000) % QUEUES]!, batch.map(taskAt));
          done += batch.length;
        } catch (error) {
          if (!String(error).includes("max single record size exceeded")) throw error;
          refusedAt ??= done;
        }
      });
    const all = Array.from({ length: TASKS }, (_, i) => i);
    if (MIXED) {
      await enqueueAll(all.filter((i) => i % 4 === 0));
      await Promise.all(names.map((name) => deadTasks(queue, name)));
      await enqueueAll(all.filter((i) => i % 4 !== 0));
    } else await enqueueAll(all);
    const seconds = (performance.now() - started) / 1000;
    const after = await usedMemory(direct);
    const sizes = await keySizes(direct, "ks:");
    console.log(`edgeq keyspace with ${done} tasks ${MIXED ? `(${MIX})` : "queued"} in ${QUEUES} queues (enqueued in ${seconds.toFixed(1)} s; machine shared, figures of one run)`);
    console.log(`bytes per queued task (used_memory delta): ${((after - before) / done).toFixed(1)}`);
    console.log(`keys: ${sizes.length}; largest:`);
    for (const [key, bytes] of sizes.slice(0, 5)) console.log(`  ${(bytes / MB).toFixed(2)} MB\t${key}`);
    const over16 = sizes.filter(([, bytes]) => bytes > 16 * MB).length;
    console.log(`keys over 16 MB (issue 13's target: none): ${over16}`);
    // a queue of one batch beside the deepest: the claim's time in Redis should not grow with depth
    const samples = Number(values.samples);
    await queue.enqueue("ks-shallow", Array.from({ length: CLAIM_BATCH }, () => ({ fn: "echo", input: INPUT })));
    const shallow = await claimCost(queue, probe, "ks-shallow", samples);
    const deep = await claimCost(queue, probe, names[0]!, samples);
    console.log(`claim of ${CLAIM_BATCH}, median of ${samples}: ${shallow.serverUs} µs in Redis (${shallow.clientMs.toFixed(2)} ms round trip) with ${CLAIM_BATCH} queued; ` +
      `${deep.serverUs} µs (${deep.clientMs.toFixed(2)} ms) with ${Math.round(done / QUEUES)} queued: ${(deep.serverUs / Math.max(shallow.serverUs, 1)).toFixed(2)}×`);
    console.log(
      refusedAt === null
        ? `no enqueue refused by the ${RECORD_LIMIT_MB} MB record-size limit`
        : `enqueues refused by the ${RECORD_LIMIT_MB} MB record-size limit from about ${refusedAt} tasks on (Upstash would refuse them too)`,
    );
    record({
      startedAt,
      loadAverage,
      tasks: done,
      ...(MIXED ? { mix: MIX } : {}),
      queues: QUEUES,
      enqueueSeconds: seconds,
      recordLimitMb: RECORD_LIMIT_MB,
      refusedAt,
      bytesPerTask: (after - before) / done,
      keys: sizes.length,
      largest: sizes.slice(0, 5),
      over16Mb: over16,
      claim: { batch: CLAIM_BATCH, samples, shallowUs: shallow.serverUs, deepUs: deep.serverUs, ratio: deep.serverUs / Math.max(shallow.serverUs, 1) },
    });
  });
}

await main();
