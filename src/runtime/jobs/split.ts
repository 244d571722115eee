/**
 * Splitting a job into map tasks, in chunks: one enqueue request per ENQUEUE_CHUNK tasks, at most
 * CHUNKS_PER_RUN per invocation (a Worker may make 50 subrequests on the free plan), the rest
 * handed to an internal splitter task that continues from its offset and re-enqueues itself.
 * Task ids are deterministic (`<jobId>-<index>`, the splitter's `<jobId>-split-<offset>`), so a
 * chunk enqueued twice (a retried splitter) creates nothing the second time.
 */
import type { JobStore } from "../../queue/jobs/index";
import type { EnqueueRequest, TaskQueue } from "../../queue/types";
import type { JobFunction } from "../job";

export const ENQUEUE_CHUNK = 1_000;
export const CHUNKS_PER_RUN = 10;
/** Largest job: the split is iterated once per splitter run, and the fold's counters are exact. */
export const MAX_JOB_TASKS = 200_000;
export const SPLIT_FN = "edgeq:split-job";
export const CANCEL_FN = "edgeq:cancel-job";
/** Internal tasks go before map tasks, so splitting and canceling are not stuck behind the backlog. */
export const INTERNAL_PRIORITY = 10;

/** A split that cannot go on: retrying the splitter would not help. */
export class SplitError extends Error {
  override readonly name = "SplitError";
}

export const mapTaskId = (jobId: string, index: number): string => `${jobId}-${index}`;

export interface JobRef {
  id: string;
  queue: string;
  total: number;
  /** The input as the job's schema parsed it. */
  input: unknown;
}

export interface SplitDeps {
  tasks: Pick<TaskQueue, "enqueue" | "cancel">;
  jobs: JobStore;
}

export interface SplitRun {
  /** Where the next run starts; null when the split is exhausted. */
  next: number | null;
  enqueued: string[];
}

/** How many items a split yields (job.count when given), or null past MAX_JOB_TASKS. */
export function countItems(job: JobFunction, input: unknown): number | null {
  if (job.count) {
    const total = job.count(input);
    return Number.isInteger(total) && total >= 0 && total <= MAX_JOB_TASKS ? total : null;
  }
  let total = 0;
  for (const _ of job.split(input)) if (++total > MAX_JOB_TASKS) return null;
  return total;
}

function mapTask(job: JobFunction, jobId: string, index: number, item: unknown): EnqueueRequest {
  const request: EnqueueRequest = { fn: job.name, input: item, id: mapTaskId(jobId, index), jobId };
  if (job.maxAttempts !== undefined) request.maxAttempts = job.maxAttempts;
  if (job.timeoutMs !== undefined) request.timeoutMs = job.timeoutMs;
  return request;
}

export function splitterTask(jobId: string, from: number): EnqueueRequest {
  return { fn: SPLIT_FN, input: { jobId, from }, id: `${jobId}-split-${from}`, priority: INTERNAL_PRIORITY };
}

/**
 * Enqueues the map tasks from index `from`, up to `maxChunks` chunks; the last chunk carries the
 * splitter task for the rest, if any. Throws when split yields another count than the job's total.
 */
export async function enqueueMapTasks(job: JobFunction, ref: JobRef, from: number, maxChunks: number, deps: SplitDeps): Promise<SplitRun> {
  const iterator = job.split(ref.input)[Symbol.iterator]();
  let index = 0;
  for (; index < from; index++) if (iterator.next().done) break;
  const enqueued: string[] = [];
  let chunk: EnqueueRequest[] = [];
  let chunks = 0;
  let next: number | null = null;
  for (let step = iterator.next(); !step.done; step = iterator.next()) {
    if (chunks === maxChunks) {
      next = index;
      break;
    }
    chunk.push(mapTask(job, ref.id, index++, step.value));
    if (chunk.length === ENQUEUE_CHUNK) {
      chunks++;
      if (chunks < maxChunks) await flush();
    }
  }
  if (next === null && index !== ref.total) {
    throw new SplitError(`split yielded ${index} items where the job counted ${ref.total}: split must be deterministic`);
  }
  if (next !== null) chunk.push(splitterTask(ref.id, next));
  await flush();
  return { next, enqueued };

  async function flush(): Promise<void> {
    if (chunk.length === 0) return;
    const results = await deps.tasks.enqueue(ref.queue, chunk);
    enqueued.push(...results.map((result) => result.id));
    chunk = [];
  }
}
