/**
 * `?wait=SECONDS` on task reads. Upstash's REST API has no blocking reads and a Worker has a
 * subrequest budget (50 per invocation on the free plan), so this polls with a growing interval:
 * quick answers for quick tasks, about 25 reads for the longest allowed wait.
 */
import type { TaskQueue, TaskRecord, TaskStatus } from "../queue/types";

const FIRST_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 1_500;
const GROWTH = 1.5;

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
    interval = Math.min(interval * GROWTH, MAX_INTERVAL_MS);
    value = await read();
  }
  return value;
}
