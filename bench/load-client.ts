/**
 * The clients of a system benchmark, in a process of their own: the stack's REST server, QStash dev
 * server and balancer run in the benchmark's process (dev/stack.ts), and clients sharing that event
 * loop would slow the servers they measure and hide whose CPU a request costs. `runLoad` spawns
 * this file with a load to make; it prints what it measured as one line of JSON.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { processCpuMs } from "./cpu";
import { taskInput } from "./workload";

export type Load =
  /** `clients` loops each POSTing one echo task per request until `tasks` are sent. */
  | { kind: "enqueue"; url: string; token: string; queue: string; tasks: number; clients: number }
  /** `clients` loops GETting `path` (no token) for `seconds`. */
  | { kind: "get"; url: string; path: string; seconds: number; clients: number }
  /** One task at a time: POST, then GET ?wait=10 until it answers; milliseconds each. */
  | { kind: "wait"; url: string; token: string; queue: string; tasks: number };

export interface LoadResult {
  /** Ids enqueued (enqueue, wait). */
  ids: string[];
  requests: number;
  wallMs: number;
  /** enqueue → result per task (wait), in order. */
  samplesMs: number[];
  /** This client process's own CPU over the load. */
  cpuMs: number;
}

async function call<T>(load: { url: string; token: string }, method: string, path: string, body?: unknown): Promise<T> {
  const headers = { authorization: `Bearer ${load.token}`, "content-type": "application/json" };
  const response = await fetch(`${load.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

async function loops(clients: number, more: () => boolean, work: () => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: clients }, async () => {
    while (more()) await work();
  }));
}

async function make(load: Load): Promise<Omit<LoadResult, "wallMs" | "cpuMs">> {
  const ids: string[] = [];
  const samplesMs: number[] = [];
  let requests = 0;
  if (load.kind === "enqueue") {
    let next = 0;
    await loops(load.clients, () => next < load.tasks, async () => {
      const n = next++;
      ids.push((await call<{ id: string }>(load, "POST", `/v1/queues/${load.queue}/tasks`, { fn: "echo", input: taskInput(n) })).id);
      requests++;
    });
  } else if (load.kind === "get") {
    const until = performance.now() + load.seconds * 1000;
    await loops(load.clients, () => performance.now() < until, async () => {
      const response = await fetch(`${load.url}${load.path}`);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`GET ${load.path} answered ${response.status}`);
      requests++;
    });
  } else {
    for (let n = 0; n < load.tasks; n++) {
      const started = performance.now();
      const { id } = await call<{ id: string }>(load, "POST", `/v1/queues/${load.queue}/tasks`, { fn: "echo", input: taskInput(n) });
      const task = await call<{ status: string }>(load, "GET", `/v1/tasks/${id}?wait=10`);
      if (task.status !== "succeeded") throw new Error(`task ${id} was ${task.status} after its wait`);
      samplesMs.push(performance.now() - started);
      ids.push(id);
      requests += 2;
    }
  }
  return { ids, requests, samplesMs };
}

/** Runs `load` in a client process of its own and returns what it measured. */
export function runLoad(load: Load): Promise<LoadResult> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), JSON.stringify(load)], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += String(chunk)));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the load client exited with ${code}`));
      else resolve(JSON.parse(output.trim().split("\n").pop()!) as LoadResult);
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const load = JSON.parse(process.argv[2]!) as Load;
  const cpu0 = processCpuMs(process.pid);
  const started = performance.now();
  const result = await make(load);
  const wallMs = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ...result, wallMs, cpuMs: processCpuMs(process.pid) - cpu0 })}\n`);
}
