/**
 * `?wait=SECONDS` on task reads. Upstash's REST API has no blocking reads and a Worker has a
 * subrequest budget (50 per invocation on the free plan), so this polls with a growing interval:
 * the first reads come quickly (a task on the push path finishes in tens of milliseconds, and a
 * first wait of 100 ms would be most of its latency), then the interval doubles up to 1.5 s: 29
 * reads for the longest allowed wait (30 s).
 */
import type { TaskQueue, TaskRecord, TaskStatus } from "../queue/types";

export const FIRST_INTERVAL_MS = 5;
export const MAX_INTERVAL_MS = 1_500;
const GROWTH = 2;

/** The wait after `interval`: 5, 10, 20, 40 … 1,280, then 1,500 ms. */
export function nextInterval(interval: number): number {
  return Math.min(interval * GROWTH, MAX_INTERVAL_MS);
}

const FINAL: ReadonlySet<TaskStatus> = new Set(["succeeded", "dead", "canceled"]);

export function isFinal(status: TaskStatus): boolean {
  return FINAL.has(status);
}

/** The task once it is final, or as it is when `waitMs` runs out or the client goes away. */
export function waitForTask(
  queue: Pick<TaskQueue, "get">,
  id: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<TaskRecord | null> {
  return pollUntil(() => queue.get(id), (task) => !task || isFinal(task.status), waitMs, signal);
}

/** Reads until `done` says so (or `waitMs` runs out, or the client goes away); the last read. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, waitMs: number, signal?: AbortSignal): Promise<T> {
  const deadline = Date.now() + waitMs;
  let interval = FIRST_INTERVAL_MS;
  let value = await read();
  while (!done(value) && !signal?.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
    interval = nextInterval(interval);
    value = await read();
  }
  return value;
}
