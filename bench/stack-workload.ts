/**
 * The full system under wrangler dev (dev/stack.ts): latency from enqueue to result through the push
 * path (HTTP enqueue → QStash dev server push → Worker → result), one task at a time on an idle stack,
 * then end-to-end tasks/s over HTTP for a burst of tasks drained by pushes alone.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { benchQueueName } from "./edgeq-workload";
import type { EndToEndResult, LatencyResult } from "./results";
import { chunks, percentile, range, taskInput } from "./workload";

interface StackHandle {
  info: { workerUrl: string; apiToken: string };
  stop(): Promise<void>;
}
type StartStack = (options: { workers?: number; cronEverySeconds?: number; quiet?: boolean }) => Promise<StackHandle>;

const STACK = fileURLToPath(new URL("../dev/stack.ts", import.meta.url));
const RESULT_WAIT_SECONDS = 10;
const DRAIN_TIMEOUT_MS = 120_000;

interface TaskView {
  status: string;
  createdAt?: number;
  finishedAt?: number | null;
}

async function loadStack(): Promise<StartStack> {
  if (!existsSync(STACK)) throw new Error("dev/stack.ts (startStack) has not landed yet");
  const module = (await import(STACK)) as { startStack?: StartStack };
  if (typeof module.startStack !== "function") throw new Error("dev/stack.ts exports no startStack");
  return module.startStack;
}

function api(info: StackHandle["info"]) {
  const headers = { authorization: `Bearer ${info.apiToken}`, "content-type": "application/json" };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${info.workerUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  };
}

async function pushLatency(call: ReturnType<typeof api>, tasks: number): Promise<LatencyResult> {
  const queue = benchQueueName("latency");
  const observed: number[] = [];
  for (const n of range(tasks)) {
    const started = performance.now();
    const { id } = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: taskInput(n) });
    const task = await call<TaskView>("GET", `/v1/tasks/${encodeURIComponent(id)}?wait=${RESULT_WAIT_SECONDS}`);
    if (task.status !== "succeeded") throw new Error(`task ${id} is ${task.status} after ${RESULT_WAIT_SECONDS} s`);
    observed.push(performance.now() - started);
  }
  observed.sort((a, b) => a - b);
  return {
    tasks,
    p50Ms: percentile(observed, 50),
    p99Ms: percentile(observed, 99),
    maxMs: observed[observed.length - 1] ?? Number.NaN,
    path: "POST /v1/queues/{q}/tasks, then GET /v1/tasks/{id}?wait= until succeeded, one task at a time",
  };
}

async function endToEnd(call: ReturnType<typeof api>, tasks: number, workers: number): Promise<EndToEndResult> {
  const queue = benchQueueName("e2e");
  const started = performance.now();
  for (const batch of chunks(range(tasks), 100)) {
    await call("POST", `/v1/queues/${queue}/tasks`, { tasks: batch.map((n) => ({ fn: "echo", input: taskInput(n) })) });
  }
  for (;;) {
    const summary = await call<{ counts?: { succeeded?: number } }>("GET", `/v1/queues/${queue}`);
    if ((summary.counts?.succeeded ?? 0) >= tasks) break;
    if (performance.now() - started > DRAIN_TIMEOUT_MS) throw new Error(`only ${summary.counts?.succeeded ?? 0} of ${tasks} tasks done after ${DRAIN_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    tasks,
    tasksPerSecond: (tasks * 1000) / (performance.now() - started),
    workers,
    path: "HTTP enqueue in batches of 100 → QStash pushes → Worker batches, until the queue counts all succeeded",
  };
}

export async function measureFullSystem(latencyTasks: number, endToEndTasks: number): Promise<{ latency: LatencyResult; endToEnd: EndToEndResult }> {
  const startStack = await loadStack();
  const workers = 1;
  // A slow cron keeps the push path honest: results must not come from the safety-net trigger.
  const stack = await startStack({ workers, cronEverySeconds: 3600, quiet: true });
  try {
    const call = api(stack.info);
    const latency = await pushLatency(call, latencyTasks);
    return { latency, endToEnd: await endToEnd(call, endToEndTasks, workers) };
  } finally {
    await stack.stop();
  }
}
