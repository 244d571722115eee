/**
 * Starting a job (POST /v1/jobs): count its items, store it, and enqueue the first chunk of map
 * tasks with the splitter for the rest, in one enqueue request.
 */
import { ErrorCode, ValidationError } from "../../queue/errors";
import { newJobId } from "../../queue/jobs/index";
import { DEFAULT_MAX_INPUT_BYTES } from "../../queue/index";
import { encodePayload } from "../../queue/validate";
import { BlobKeyError, type BlobStore, NO_BLOBS } from "../../blobs/index";
import { PermanentError } from "../function";
import type { JobFunction } from "../job";
import { cancelPendingTasks } from "./cancel";
import { countItems, enqueueMapTasks, MAX_JOB_TASKS, type SplitDeps } from "./split";

export interface StartedJob {
  id: string;
  total: number;
}

/** `input` has passed the job's schema already (its parsed form is what split and finalize see). */
export async function startJob(job: JobFunction, given: unknown, queue: string, deps: SplitDeps & { now: () => number; blobs?: BlobStore }): Promise<StartedJob> {
  const input = job.prepare ? await prepared(job, given, deps.blobs ?? NO_BLOBS) : given;
  // The input is read again by every splitter run: as bounded as a task's.
  encodePayload(input, "input", DEFAULT_MAX_INPUT_BYTES);
  const total = countItems(job, input);
  if (total === null) throw new ValidationError(ErrorCode.InvalidArgument, "input", `splits into more than ${MAX_JOB_TASKS} map tasks`);
  const id = newJobId(queue, deps.now());
  const base = { id, fn: job.name, queue, input, total, maxFailures: job.maxFailures ?? 0 };
  const initial = job.initial(input);
  if (total === 0) {
    // Nothing to map: the answer is the fold of nothing.
    const result = job.finalize ? job.finalize(initial, input) : initial;
    await deps.jobs.create({ ...base, acc: "", finished: { status: "succeeded", text: JSON.stringify(result ?? null) } });
    return { id, total };
  }
  await deps.jobs.create({ ...base, acc: JSON.stringify(initial) });
  try {
    await enqueueMapTasks(job, { id, queue, total, input }, 0, 1, deps);
  } catch (error) {
    // The caller gets the error; the job must not linger as running with tasks that never come.
    if (await deps.jobs.finish(id, "failed", `could not enqueue its tasks: ${(error as Error).message}`)) {
      await cancelPendingTasks({ id, queue, total }, deps).catch(() => {});
    }
    throw error;
  }
  return { id, total };
}

async function prepared(job: JobFunction, input: unknown, blobs: BlobStore): Promise<unknown> {
  try {
    return await job.prepare!(input, { blobs });
  } catch (error) {
    if (error instanceof PermanentError || error instanceof BlobKeyError) throw new ValidationError(ErrorCode.InvalidArgument, "input", error.message);
    throw error;
  }
}
