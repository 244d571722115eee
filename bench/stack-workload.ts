/**
 * The full system on the local stack (dev/stack.ts: the Worker on workerd through Miniflare's API): latency from enqueue to result through the push
 * path (HTTP enqueue → QStash dev server push → Worker → result), one task at a time on an idle stack,
 * then end-to-end tasks/s over HTTP for a burst of tasks drained by pushes alone.
 *
 * The result is watched in Redis directly every POLL_MS (tcp-queue-redis.ts) rather than with
 * `GET /v1/tasks/{id}?wait=`, whose server-side polls add their own intervals; a client's view
 * through that long-poll is measured apart (longPoll).
 */
import type { RestServerStats } from "../dev/rest-server/faults";
import { startStack, type StackInfo } from "../dev/stack";
import { createTaskQueue } from "../src/queue/index";
import type { TaskQueue } from "../src/queue/types";
import { queueClients } from "./edgeq-client";
import { benchQueueName } from "./edgeq-workload";
import type { EndToEndResult, LatencyResult } from "./run-results";
import { traceRedis } from "./redis-trace";
import { tcpQueueRedis } from "./tcp-queue-redis";
import { chunks, percentile, range, stopOnSignal, taskInput } from "./workload";

const RESULT_TIMEOUT_MS = 10_000;
const POLL_MS = 1;
const DRAIN_TIMEOUT_MS = 120_000;
const TRACED_TASKS = 20;
const LONG_POLL_TASKS = 100;

/** A caller of the stack's API with its admin token: JSON in and out, a non-2xx answer thrown. */
export function api(info: StackInfo) {
  const headers = { authorization: `Bearer ${info.apiToken}`, "content-type": "application/json" };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${info.workerUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds from the enqueue request to the result being in Redis, as the client sees it, and as the task records it. */
async function oneTask(call: ReturnType<typeof api>, watch: TaskQueue, queue: string, n: number): Promise<{ observed: number; recorded: number; waited: number; enqueue: number }> {
  const started = performance.now();
  const { id } = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: taskInput(n) });
  const enqueue = performance.now() - started;
  for (;;) {
    const task = await watch.get(id);
    if (task?.status === "succeeded") {
      const observed = performance.now() - started;
      return { observed, recorded: (task.finishedAt ?? Number.NaN) - task.createdAt, waited: (task.startedAt ?? Number.NaN) - task.createdAt, enqueue };
    }
    if (task && task.status !== "queued" && task.status !== "running") throw new Error(`task ${id} ended ${task.status}`);
    if (performance.now() - started > RESULT_TIMEOUT_MS) throw new Error(`task ${id} still ${task?.status ?? "missing"} ${RESULT_TIMEOUT_MS / 1000} s after enqueue: no push finished it (the cron stand-in is slowed to once an hour)`);
    await sleep(POLL_MS);
  }
}

async function pushLatency(call: ReturnType<typeof api>, watch: TaskQueue, tasks: number, restStats: () => RestServerStats): Promise<LatencyResult> {
  const queue = benchQueueName("latency");
  await oneTask(call, watch, queue, -1); // the first request compiles the Worker's code paths
  // The watcher reads over TCP, so every REST request in between is the Worker's (enqueue and push).
  const before = restStats();
  const observed: number[] = [];
  const recorded: number[] = [];
  const waited: number[] = [];
  const enqueues: number[] = [];
  for (const n of range(tasks)) {
    const sample = await oneTask(call, watch, queue, n);
    observed.push(sample.observed);
    recorded.push(sample.recorded);
    waited.push(sample.waited);
    enqueues.push(sample.enqueue);
    await sleep(2); // idle between tasks: each one meets a quiet stack
  }
  const after = restStats();
  observed.sort((a, b) => a - b);
  recorded.sort((a, b) => a - b);
  waited.sort((a, b) => a - b);
  enqueues.sort((a, b) => a - b);
  return {
    tasks,
    p50Ms: percentile(observed, 50),
    p99Ms: percentile(observed, 99),
    maxMs: observed[observed.length - 1] ?? Number.NaN,
    recordedP50Ms: percentile(recorded, 50),
    recordedP99Ms: percentile(recorded, 99),
    recordedWaitP50Ms: percentile(waited, 50),
    enqueueP50Ms: percentile(enqueues, 50),
    restRequestsPerTask: (after.requests - before.requests) / tasks,
    redisCommandsPerTask: (after.commands - before.commands) / tasks,
    path: `HTTP enqueue → QStash push → Worker, one task at a time; the result watched in Redis over TCP every ${POLL_MS} ms (recorded: the task's finishedAt − createdAt)`,
  };
}

/** As a client of the API sees it: the enqueue, then `GET /v1/tasks/{id}?wait=` until it answers succeeded. */
async function longPollLatency(call: ReturnType<typeof api>, tasks: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const queue = benchQueueName("long-poll");
  const samples: number[] = [];
  for (const n of range(tasks + 1)) {
    const started = performance.now();
    const { id } = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: taskInput(n) });
    const task = await call<{ status: string }>("GET", `/v1/tasks/${id}?wait=10`);
    if (task.status !== "succeeded") throw new Error(`task ${id} still ${task.status} after a 10 s long-poll`);
    if (n > 0) samples.push(performance.now() - started); // the first compiles the route's code paths
    await sleep(2);
  }
  samples.sort((a, b) => a - b);
  return { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
}

async function endToEnd(call: ReturnType<typeof api>, watch: TaskQueue, tasks: number, workers: number): Promise<EndToEndResult> {
  const queue = benchQueueName("e2e");
  const started = performance.now();
  for (const batch of chunks(range(tasks), 100)) {
    await call("POST", `/v1/queues/${queue}/tasks`, { tasks: batch.map((n) => ({ fn: "echo", input: taskInput(n) })) });
  }
  // Progress is read from Redis, not from the Worker, so that watching takes no Worker time.
  for (;;) {
    const { counts, settings } = await watch.getQueue(queue);
    const elapsed = performance.now() - started;
    if (counts.succeeded >= tasks) {
      return {
        tasks,
        tasksPerSecond: (tasks * 1000) / elapsed,
        workers,
        path: `HTTP enqueue in batches of 100 → QStash pushes → Worker batches of ${settings.batchSize}, at most ${settings.maxParallel} parallel invocations, until all succeeded`,
      };
    }
    if (elapsed > DRAIN_TIMEOUT_MS) throw new Error(`only ${counts.succeeded} of ${tasks} tasks done after ${DRAIN_TIMEOUT_MS / 1000} s`);
    await sleep(10);
  }
}

/** endToEndTasks 0 measures the latency alone (`npm run bench -- --only latency`). */
export async function measureFullSystem(latencyTasks: number, endToEndTasks: number, workers: number): Promise<{ latency: LatencyResult; endToEnd: EndToEndResult | null }> {
  // A slow cron keeps the push path honest: results must not come from the safety-net trigger; and
  // the push path it is (EDGEQ_INLINE_START=off): the default inline start is --only system's row.
  const stack = await startStack({ workers, cronEverySeconds: 3600, quiet: true, inlineStart: false });
  const undoSignal = stopOnSignal(() => stack.stop());
  try {
    const call = api(stack.info);
    const watcher = tcpQueueRedis(stack.info.redisPort);
    try {
      const watch = createTaskQueue(watcher.redis);
      const latency = await pushLatency(call, watch, latencyTasks, () => stack.rest.stats());
      latency.longPoll = await longPollLatency(call, LONG_POLL_TASKS);
      const queue = benchQueueName("trace");
      await oneTask(call, watch, queue, -1);
      latency.redisTrace = await traceRedis(stack.info.redisPort, await watcher.address(), TRACED_TASKS, async () => {
        await oneTask(call, watch, queue, 0);
      });
      // Queue counts come from a script whose key-locking flag redis-server 7.0 refuses over TCP: read
      // them through the REST server, which rewrites it (dev/rest-server/script-flags.ts).
      const counter = queueClients({ restUrl: stack.info.redisRestUrl, restToken: stack.info.redisRestToken }, 1)[0]!;
      return { latency, endToEnd: endToEndTasks > 0 ? await endToEnd(call, counter, endToEndTasks, workers) : null };
    } finally {
      watcher.close();
    }
  } finally {
    undoSignal();
    await stack.stop();
  }
}
