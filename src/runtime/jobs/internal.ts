/**
 * The runtime's own task functions for jobs, the splitter and the canceler, bound to an
 * invocation's clients and added to the registry it runs with. Their names hold a colon, which
 * user function names cannot, and the HTTP API refuses to enqueue them.
 */
import { z } from "zod";
import type { JobStore } from "../../queue/jobs/index";
import type { TaskQueue } from "../../queue/types";
import type { FunctionRegistry } from "../registry";
import type { TaskFunction } from "../types";
import { CANCEL_CHUNKS_PER_RUN, cancelerTask, cancelJobTasks, cancelPendingTasks } from "./cancel";
import { CANCEL_FN, CHUNKS_PER_RUN, enqueueMapTasks, SPLIT_FN, SplitError } from "./split";
import { EdgeqError } from "../../queue/errors";

export interface JobRuntimeDeps {
  tasks: Pick<TaskQueue, "enqueue" | "cancel">;
  jobs: JobStore;
  /** Publishes pushes for a queue's new backlog (the splitter's chunks). */
  publishBacklogPushes(queue: string): Promise<unknown>;
}

const Continuation = z.object({ jobId: z.string().min(1).max(100), from: z.int().min(0) });

export function withJobRuntime(base: FunctionRegistry, deps: JobRuntimeDeps): FunctionRegistry {
  const splitter: TaskFunction<z.infer<typeof Continuation>> = {
    name: SPLIT_FN,
    input: Continuation,
    async run({ jobId, from }) {
      const [record] = await deps.jobs.states([jobId]);
      if (record?.status !== "running") return { skipped: record?.status ?? "gone" };
      const job = base.job(record.fn);
      if (!job) throw new Error(`job function "${record.fn}" is not registered`);
      const ref = { id: jobId, queue: record.queue, total: record.total, input: record.input };
      let run;
      try {
        run = await enqueueMapTasks(job, ref, from, CHUNKS_PER_RUN, deps);
      } catch (error) {
        if (!(error instanceof SplitError || error instanceof EdgeqError)) throw error;
        // A split that cannot go on (its items changed, or one is too large) fails the job.
        const reason = `splitting failed: ${(error as Error).message}`;
        if (await deps.jobs.finish(jobId, "failed", reason)) await cancelPendingTasks(ref, deps);
        return { failed: reason };
      }
      // A cancel that came while this run enqueued may have missed its tasks: cancel them here.
      if ((await deps.jobs.get(jobId))?.status !== "running") {
        await deps.tasks.cancel(run.enqueued);
        await deps.jobs.discardEvents(record.queue, run.enqueued);
        return { canceled: run.enqueued.length };
      }
      await deps.publishBacklogPushes(record.queue);
      return { enqueued: run.enqueued.length, next: run.next };
    },
  };
  const canceler: TaskFunction<z.infer<typeof Continuation>> = {
    name: CANCEL_FN,
    input: Continuation,
    async run({ jobId, from }) {
      const record = await deps.jobs.get(jobId);
      if (!record) return { skipped: "gone" };
      const next = await cancelJobTasks(record, from, CANCEL_CHUNKS_PER_RUN, deps);
      if (next !== null) await deps.tasks.enqueue(record.queue, [cancelerTask(jobId, next)]);
      return { next };
    },
  };
  const internal = new Map<string, TaskFunction>([
    [SPLIT_FN, splitter as TaskFunction],
    [CANCEL_FN, canceler as TaskFunction],
  ]);
  return { ...base, task: (name) => internal.get(name) ?? base.task(name) };
}
