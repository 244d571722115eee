/**
 * Adds jobs to an invocation's runtime: the job store, the splitter and canceler among the
 * functions it can run, and a fold after each batch that settled tasks of a job.
 */
import { createJobStore, type JobRedis, type JobStore } from "../../queue/jobs/index";
import type { BlobBucket } from "../../blobs/index";
import type { TaskQueue } from "../../queue/types";
import { type PayloadCipher, sealingJobs, sealingTasks } from "../../security/index";
import type { Clock } from "../budget";
import type { DrainDeps } from "../drain";
import type { Logger } from "../logger";
import type { FunctionRegistry } from "../registry";
import { cancelPendingTasks } from "./cancel";
import { withJobRuntime } from "./internal";
import { type FoldDeps, foldQueue } from "./fold";
import { foldTrigger } from "./trigger";

export interface JobsRuntime {
  jobs: JobStore;
  functions: FunctionRegistry;
  afterSettle: NonNullable<DrainDeps["afterSettle"]>;
  /** Folds whatever waits in the queue's outbox (the cron's safety net for folders that died). */
  foldJobs(queue: string, untilMs: number): Promise<unknown>;
}

export function jobsRuntime(
  redis: JobRedis,
  prefix: string,
  base: { tasks: Pick<TaskQueue, "enqueue" | "cancel">; functions: FunctionRegistry; clock: Clock; log: Logger; payloads?: PayloadCipher | null; bucket?: BlobBucket },
  publishBacklogPushes: (queue: string) => Promise<unknown>,
  onJobFinished?: FoldDeps["onJobFinished"],
): JobsRuntime {
  // With encryption at rest on, map task inputs and job inputs, accumulators and results are sealed.
  const jobs = sealingJobs(createJobStore(redis, { prefix, now: () => base.clock.now() }), base.payloads ?? null);
  const deps = { tasks: sealingTasks(base.tasks, base.payloads ?? null), jobs };
  const foldDeps: FoldDeps = {
    jobs,
    functions: base.functions,
    clock: base.clock,
    log: base.log,
    payloads: base.payloads ?? null,
    ...(base.bucket ? { bucket: base.bucket } : {}),
    onJobFailed: (id, queue, total) => cancelPendingTasks({ id, queue, total }, deps),
    ...(onJobFinished ? { onJobFinished } : {}),
  };
  return {
    jobs,
    functions: withJobRuntime(base.functions, { ...deps, publishBacklogPushes }),
    afterSettle: foldTrigger(foldDeps),
    foldJobs: (queue, untilMs) => foldQueue(queue, foldDeps, untilMs),
  };
}
