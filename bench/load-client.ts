/**
 * The clients of a system benchmark, in a process of their own: the stack's REST server and QStash
 * dev server run in the benchmark's process (dev/stack.ts), and clients sharing that event
 * loop would slow the servers they measure and hide whose CPU a request costs. `runLoad` spawns
 * this file with a load to make; it prints what it measured as one line of JSON.
 *
 * Requests go over kept-alive connections, one per client loop, written and parsed by raw-http.ts:
 * fetch (undici) cost about 1.6 ms of CPU per request here and node:http 0.3–0.5 ms, so the client
 * took a third of the two cores the stack it measures shares.
 *
 * With `spread`, the client loops take turns over several URLs (one per Worker process), as
 * Cloudflare's edge spreads requests over isolates, instead of one URL behind the stack's balancer
 * (a TCP proxy: a read and a write of every request and answer in one more process).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { processCpuMs } from "./cpu";
import { RawConnection } from "./raw-http";
import { taskInput } from "./workload";

export type Load = (
  /** `clients` loops each POSTing one echo task per request until `tasks` are sent. */
  | { kind: "enqueue"; url: string; token: string; queue: string; tasks: number; clients: number }
  /** `clients` loops GETting `path` (no token) for `seconds`. */
  | { kind: "get"; url: string; path: string; seconds: number; clients: number }
  /** One task at a time: POST, then GET ?wait=10 until it answers; milliseconds each. */
  | { kind: "wait"; url: string; token: string; queue: string; tasks: number }
) & {
  /** Client loop i sends to spread[i % length] instead of `url` (see the file comment). */
  spread?: string[];
};

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

/** A client loop's one kept-alive connection. */
function connectionTo(url: string): RawConnection {
  const { hostname, port } = new URL(url);
  return new RawConnection(hostname, Number(port || 80));
}

async function call<T>(connection: RawConnection, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const { status, text } = await connection.request(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
  if (status < 200 || status >= 300) throw new Error(`${method} ${path} answered ${status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** `clients` loops, each with a connection of its own, running `work` while `more()`. */
async function loops(load: Load & { clients: number }, more: () => boolean, work: (connection: RawConnection) => Promise<void>): Promise<void> {
  const urls = load.spread?.length ? load.spread : [load.url];
  await Promise.all(Array.from({ length: load.clients }, async (_, i) => {
    const connection = connectionTo(urls[i % urls.length]!);
    try {
      while (more()) await work(connection);
    } finally {
      connection.close();
    }
  }));
}

async function make(load: Load): Promise<Omit<LoadResult, "wallMs" | "cpuMs">> {
  const ids: string[] = [];
  const samplesMs: number[] = [];
  const stagesMs = { enqueue: [] as number[], untilClaimed: [] as number[], run: [] as number[], answer: [] as number[] };
  let requests = 0;
  if (load.kind === "enqueue") {
    let next = 0;
    await loops(load, () => next < load.tasks, async (connection) => {
      const n = next++;
      ids.push((await call<{ id: string }>(connection, load.token, "POST", `/v1/queues/${load.queue}/tasks`, { fn: "echo", input: taskInput(n) })).id);
      requests++;
    });
  } else if (load.kind === "get") {
    const until = performance.now() + load.seconds * 1000;
    await loops(load, () => performance.now() < until, async (connection) => {
      const { status } = await connection.request("GET", load.path, {});
      if (status !== 200) throw new Error(`GET ${load.path} answered ${status}`);
      requests++;
    });
  } else {
    const connection = connectionTo(load.spread?.[0] ?? load.url);
    for (let n = 0; n < load.tasks; n++) {
      const started = performance.now();
      const posted = Date.now();
      const { id } = await call<{ id: string }>(connection, load.token, "POST", `/v1/queues/${load.queue}/tasks`, { fn: "echo", input: taskInput(n) });
      const accepted = Date.now();
      const task = await call<{ status: string; createdAt: number; startedAt: number; finishedAt: number }>(connection, load.token, "GET", `/v1/tasks/${id}?wait=10`);
      if (task.status !== "succeeded") throw new Error(`task ${id} was ${task.status} after its wait`);
      samplesMs.push(performance.now() - started);
      stagesMs.enqueue.push(accepted - posted);
      stagesMs.untilClaimed.push(task.startedAt - task.createdAt);
      stagesMs.run.push(task.finishedAt - task.startedAt);
      stagesMs.answer.push(Date.now() - task.finishedAt);
      ids.push(id);
      requests += 2;
    }
    connection.close();
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
