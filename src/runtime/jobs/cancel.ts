/**
 * Canceling a job's pending tasks, in chunks: every id `<jobId>-<index>` whether or not the split
 * has reached it yet (the splitter checks the job's status after each run and cancels its own
 * chunks if the job is over, so no task slips between the two). Queued and delayed tasks become
 * canceled; running ones finish and their results are dropped by the fold.
 */
import type { JobStore } from "../../queue/jobs/index";
import type { EnqueueRequest, TaskQueue } from "../../queue/types";
import { CANCEL_FN, INTERNAL_PRIORITY, mapTaskId } from "./split";
import { taskIdOf } from "../../queue/index";

/** Ids per cancel call: one HMGET and one script each, plus one HDEL of the outbox. */
export const CANCEL_CHUNK = 5_000;
export const CANCEL_CHUNKS_PER_RUN = 5;

export interface CancelDeps {
  tasks: Pick<TaskQueue, "cancel" | "enqueue">;
  jobs: Pick<JobStore, "discardEvents">;
}

export interface JobTasks {
  id: string;
  queue: string;
  total: number;
}

/** Cancels ids [from, from + maxChunks * CANCEL_CHUNK); returns where to go on, or null when done. */
export async function cancelJobTasks(job: JobTasks, from: number, maxChunks: number, deps: CancelDeps): Promise<number | null> {
  let at = from;
  for (let chunk = 0; chunk < maxChunks && at < job.total; chunk++) {
    const ids = Array.from({ length: Math.min(CANCEL_CHUNK, job.total - at) }, (_, i) => taskIdOf(job.queue, mapTaskId(job.id, at + i)));
    await deps.tasks.cancel(ids);
    // The cancel left one outbox entry per canceled task; the job is over, so none is folded.
    await deps.jobs.discardEvents(job.queue, ids);
    at += ids.length;
  }
  return at < job.total ? at : null;
}

export function cancelerTask(jobId: string, from: number): EnqueueRequest {
  return { fn: CANCEL_FN, input: { jobId, from }, id: `${jobId}-cancel-${from}`, priority: INTERNAL_PRIORITY };
}

/** The first chunk now (small jobs are done at once), the rest by the internal canceler task. */
export async function cancelPendingTasks(job: JobTasks, deps: CancelDeps): Promise<void> {
  const next = await cancelJobTasks(job, 0, 1, deps);
  if (next !== null) await deps.tasks.enqueue(job.queue, [cancelerTask(job.id, next)]);
}
