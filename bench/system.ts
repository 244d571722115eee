/**
 * `npm run bench -- --only system [--quick]`: the patterns a user touches, as a client sees them,
 * each beside issue 11's target, with 1 and 2 Worker processes. It starts its own stack (cron
 * stand-in off, so delayed tasks run by pushes alone), stops it, and writes
 * bench/results/system.json.
 *
 * Clients run in a process of their own (load-client.ts: node:http with keep-alive connections), so
 * that they neither share the event loop of the REST and QStash servers nor spend a core of this
 * 2-core machine on fetch's own cost.
 *
 * With 2 Worker processes the clients spread their connections over the workers' own URLs, as
 * Cloudflare's edge spreads requests over isolates: the stack's balancer (a TCP proxy in a process
 * of its own) would add a read and a write of every request and answer on the same two cores, a
 * cost production does not have. QStash's pushes still arrive through the balancer.
 *
 * Redis commands are edgeq's own: the QStash dev server keeps its state on a redis-server of its own
 * (dev/stack.ts), and the bench's own reads (INFO, one HMGET per completion poll) are left out.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { startStack, type Stack } from "../dev/stack";
import { benchQueueName } from "./edgeq-workload";
import { commandDelta, RedisProbe } from "./redis-probe";
import { runLoad } from "./load-client";
import { bulkVersusBullmq } from "./system-bulk";
import { messagesPublishedSince } from "./qstash-published";
import { api } from "./stack-workload";
import { percentile } from "./workload";

const CLIENTS = 20;
/**
 * The completion polls' interval: the end of a run is known to within it. 10 ms, not 50: the polls
 * read only unfinished ids, and at 2,000 tasks a second a 50 ms poll added ~25 ms (2.5%) to a run.
 */
const POLL_MS = 10;

/** results/system.json */
export interface SystemResults {
  mode: "quick" | "full";
  startedAt: string;
  loadAverageAtStart: string;
  rows: SystemRow[];
}

export interface SystemRow {
  pattern: string;
  workers: number;
  value: string;
  target: string;
  met: boolean;
}

/**
 * Waits until every id is final, reading them each poll (one HMGET per partition of the ids); returns
 * the HMGETs sent, which are the bench's own commands, not edgeq's ([enq] it returned the polls, and
 * 2,000 single tasks span ~90 partitions: the bench counted ~0.6 of its own commands a task as edgeq's).
 */
export async function untilDone(probe: RedisProbe, ids: string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const readsBefore = probe.taskReads;
  // only the ids not yet final are read again: reading all 2,000 records every poll cost the bench
  // process (which hosts the REST and QStash servers) and redis-server CPU the stack was charged for
  let pending = ids;
  for (;;) {
    const records = await probe.hmgetTasks(pending);
    pending = pending.filter((_, i) => !/^[sxc]\|/.test(records[i] ?? ""));
    if (pending.length === 0) return probe.taskReads - readsBefore;
    if (Date.now() > deadline) throw new Error(`tasks not finished within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The Worker processes' own URLs, over which the clients spread (see the file comment). */
export function edge(stack: Stack): string[] {
  return stack.workers.map((worker) => worker.url);
}

export async function singleEnqueues(stack: Stack, probe: RedisProbe, tasks: number, workers: number): Promise<SystemRow[]> {
  // Twice, each on a queue of its own: a fresh stack's first run meets code not compiled yet
  // (workerd's and the REST server's JIT: ~15% fewer tasks a second), which traffic at this rate
  // on Cloudflare, with warm isolates, would not. The second run is the figure; the first is shown beside it.
  const cold = await measureSingleEnqueues(stack, probe, tasks);
  const { rate, commands, messages } = await measureSingleEnqueues(stack, probe, tasks);
  const goal = workers > 1 ? 2_000 : 1_000;
  return [
    { pattern: `${CLIENTS} clients, one task per request, ${tasks} tasks end to end (a second run; the stack's first beside it)`, workers, value: `${Math.round(rate)} tasks/s (first run: ${Math.round(cold.rate)})`, target: `≥ ${goal} tasks/s`, met: rate >= goal },
    { pattern: "edgeq Redis commands per task, all-in", workers, value: commands.toFixed(2), target: "≤ 1.5", met: commands <= 1.5 },
    { pattern: "QStash messages per task", workers, value: messages.toFixed(3), target: "≤ 0.05", met: messages <= 0.05 },
  ];
}

async function measureSingleEnqueues(stack: Stack, probe: RedisProbe, tasks: number): Promise<{ rate: number; commands: number; messages: number }> {
  const queue = benchQueueName("single");
  await api(stack.info)("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: null }); // creates the queue
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = await probe.commands();
  const qstashSince = Date.now();
  const { ids, wallMs } = await runLoad({ kind: "enqueue", url: stack.info.workerUrl, spread: edge(stack), token: stack.info.apiToken, queue, tasks, clients: CLIENTS });
  // from the client's first request (not the client process's start) until every task succeeded
  const enqueued = performance.now();
  const reads = await untilDone(probe, ids, 120_000);
  const seconds = (wallMs + performance.now() - enqueued) / 1000;
  const delta = commandDelta(before, await probe.commands());
  const own = (delta.byCommand.info ?? 0) + reads;
  // published, not delivered so far: the inline start's safety nets are delayed pushes
  const messages = (await messagesPublishedSince(stack.info, qstashSince)) / tasks;
  return { rate: tasks / seconds, commands: (delta.total - own) / tasks, messages };
}

async function health(stack: Stack, seconds: number, workers: number): Promise<SystemRow> {
  const { requests, wallMs } = await runLoad({ kind: "get", url: stack.info.workerUrl, spread: edge(stack), path: "/health", seconds, clients: CLIENTS });
  const rate = (requests * 1000) / wallMs;
  return { pattern: `GET /health from ${CLIENTS} clients`, workers, value: `${Math.round(rate)} req/s`, target: "≥ 1,500 req/s", met: rate >= 1_500 };
}

export async function longPoll(stack: Stack, tasks: number, workers: number, variant = ""): Promise<SystemRow> {
  // the first task compiles the route's code paths: left out
  const { samplesMs, stagesMs } = await runLoad({ kind: "wait", url: stack.info.workerUrl, token: stack.info.apiToken, queue: benchQueueName("wait"), tasks: tasks + 1 });
  const times = samplesMs.slice(1).sort((a, b) => a - b);
  const median = (values: number[] = []) => percentile(values.slice(1).sort((a, b) => a - b), 50).toFixed(0);
  const stages = stagesMs ? `; medians: 202 in ${median(stagesMs.enqueue)}, stored → claimed ${median(stagesMs.untilClaimed)}, run ${median(stagesMs.run)}, answered ${median(stagesMs.answer)} after the settle (ms)` : "";
  const [p50, p99] = [percentile(times, 50), percentile(times, 99)];
  return {
    pattern: `enqueue → result (POST, then GET ?wait=), sequential${variant}`,
    workers,
    value: `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms${stages}`,
    target: "p50 ≤ 10 ms, p99 ≤ 30 ms",
    met: p50 <= 10 && p99 <= 30,
  };
}

async function delayed(stack: Stack, probe: RedisProbe, workers: number): Promise<SystemRow> {
  const call = api(stack.info);
  const queue = benchQueueName("delay");
  const ids: string[] = [];
  for (let n = 0; n < 5; n++) ids.push((await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: n, delay: 1 + n * 0.3 })).id);
  await untilDone(probe, ids, 30_000);
  const late = await Promise.all(ids.map(async (id) => {
    const task = await call<{ runAt: number; startedAt: number }>("GET", `/v1/tasks/${id}`);
    return task.startedAt - task.runAt;
  }));
  const worst = Math.max(...late);
  return { pattern: "task with a delay, cron off: start after due (worst of 5)", workers, value: `${Math.round(worst)} ms`, target: "≤ 1,000 ms", met: worst <= 1_000 };
}

async function bulkRow(stack: Stack, probe: RedisProbe, tasks: number, workers: number): Promise<SystemRow> {
  const { edgeq, bullmq } = await bulkVersusBullmq(stack, probe, tasks);
  const ratio = edgeq / bullmq;
  const count = (n: number) => Math.round(n).toLocaleString("en-US");
  return {
    pattern: `bulk: ${count(tasks)} echo tasks over HTTP in requests of 1,000, drained by pushes, end to end, vs BullMQ (addBulk of 1,000, Worker concurrency 100)`,
    workers,
    value: `${count(edgeq)} vs ${count(bullmq)} tasks/s: ${ratio.toFixed(2)}×`,
    target: "≥ 1.5× BullMQ",
    met: ratio >= 1.5,
  };
}

export async function measureSystem(quick: boolean, workerCounts: number[] = [1, 2]): Promise<SystemRow[]> {
  const rows: SystemRow[] = [];
  for (const workers of workerCounts) {
    const stack = await startStack({ workers, cronEverySeconds: 0, quiet: true });
    const probe = new RedisProbe(`redis://127.0.0.1:${stack.info.redisPort}`);
    try {
      rows.push(...(await singleEnqueues(stack, probe, quick ? 400 : 2_000, workers)));
      rows.push(await health(stack, quick ? 2 : 5, workers));
      rows.push(await longPoll(stack, quick ? 30 : 200, workers));
      rows.push(await delayed(stack, probe, workers));
      // last: BullMQ's run flushes the database
      if (workers === 1) rows.push(await bulkRow(stack, probe, quick ? 5_000 : 20_000, workers));
    } finally {
      await probe.close();
      await stack.stop();
    }
  }
  // the same pattern on the push path (EDGEQ_INLINE_START=off: an idle queue's first invocation
  // started by a QStash push, README "How workers run"), on a stack of its own
  if (workerCounts.includes(1)) {
    const stack = await startStack({ workers: 1, cronEverySeconds: 0, quiet: true, inlineStart: false });
    try {
      rows.push(await longPoll(stack, quick ? 30 : 200, 1, " (EDGEQ_INLINE_START=off, push path)"));
    } finally {
      await stack.stop();
    }
  }
  return rows;
}

export function printSystem(rows: SystemRow[]): void {
  console.log(`\n| pattern | workers | edgeq | target | met |\n|---|---|---|---|---|`);
  for (const row of rows) console.log(`| ${row.pattern} | ${row.workers} | ${row.value} | ${row.target} | ${row.met ? "yes" : "**no**"} |`);
}

export async function runSystemBench(quick: boolean): Promise<void> {
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  const rows = await measureSystem(quick);
  printSystem(rows);
  const path = fileURLToPath(new URL("results/system.json", import.meta.url));
  const results: SystemResults = { mode: quick ? "quick" : "full", startedAt: new Date().toISOString(), loadAverageAtStart: load, rows };
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten: ${path} (load average at start ${load})`);
}
