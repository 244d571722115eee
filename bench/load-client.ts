/**
 * The clients of a system benchmark, in a process of their own: the stack's REST server and QStash
 * dev server run in the benchmark's process (dev/stack.ts), and clients sharing that event
 * loop would slow the servers they measure and hide whose CPU a request costs. `runLoad` spawns
 * this file with a load to make; it prints what it measured as one line of JSON.
 *
 * Requests go through node:http with keep-alive connections, one per client loop: fetch (undici)
 * costs about 1.6 ms of CPU per request here, so a fetch client alone would use up a core of this
 * 2-core machine long before the Worker does.
 */
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
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
  /**
   * Where each wait's time went (wait), by the task's own timestamps and this machine's one clock:
   * the POST until its 202, stored until claimed (createdAt → startedAt: the push's publish and
   * delivery, the invocation's start), claimed until settled, settled until the ?wait= answer arrived.
   */
  stagesMs?: { enqueue: number[]; untilClaimed: number[]; run: number[]; answer: number[] };
  /** This client process's own CPU over the load. */
  cpuMs: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One request over a kept-alive connection: its status and body text. */
function send(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${url}${path}`, { method, agent, headers: body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) } }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      incoming.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

async function call<T>(load: { url: string; token: string }, method: string, path: string, body?: unknown): Promise<T> {
  const headers = { authorization: `Bearer ${load.token}`, "content-type": "application/json" };
  const { status, text } = await send(load.url, method, path, headers, body === undefined ? undefined : JSON.stringify(body));
  if (status < 200 || status >= 300) throw new Error(`${method} ${path} answered ${status}: ${text.slice(0, 200)}`);
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
  const stagesMs = { enqueue: [] as number[], untilClaimed: [] as number[], run: [] as number[], answer: [] as number[] };
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
      const { status } = await send(load.url, "GET", load.path, {});
      if (status !== 200) throw new Error(`GET ${load.path} answered ${status}`);
      requests++;
    });
  } else {
    for (let n = 0; n < load.tasks; n++) {
      const started = performance.now();
      const posted = Date.now();
      const { id } = await call<{ id: string }>(load, "POST", `/v1/queues/${load.queue}/tasks`, { fn: "echo", input: taskInput(n) });
      const accepted = Date.now();
      const task = await call<{ status: string; createdAt: number; startedAt: number; finishedAt: number }>(load, "GET", `/v1/tasks/${id}?wait=10`);
      if (task.status !== "succeeded") throw new Error(`task ${id} was ${task.status} after its wait`);
      samplesMs.push(performance.now() - started);
      stagesMs.enqueue.push(accepted - posted);
      stagesMs.untilClaimed.push(task.startedAt - task.createdAt);
      stagesMs.run.push(task.finishedAt - task.startedAt);
      stagesMs.answer.push(Date.now() - task.finishedAt);
      ids.push(id);
      requests += 2;
    }
  }
  return { ids, requests, samplesMs, ...(load.kind === "wait" ? { stagesMs } : {}) };
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
  process.stdout.write(`${JSON.stringify({ ...result, wallMs, cpuMs: processCpuMs(process.pid) - cpu0 })}\n`, () => process.exit(0)); // kept-alive sockets would hold it open
}
