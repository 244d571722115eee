/**
 * Adds jobs to an invocation's runtime: the job store, the splitter and canceler among the
 * functions it can run, a fold push asked for before a batch with tasks of a job settles, and a
 * fold after it.
 */
import { createJobStore, type JobRedis, type JobStore } from "../../queue/jobs/index";
import { type BlobBucket, offloadingJobs } from "../../blobs/index";
import type { TaskQueue } from "../../queue/types";
import { type PayloadCipher, sealingJobs, sealingTasks } from "../../security/index";
import type { Clock } from "../budget";
import type { DrainDeps } from "../drain";
import type { Logger } from "../logger";
import type { PushPublisher } from "../publisher";
import type { FunctionRegistry } from "../registry";
import type { BatchReport } from "../types";
import { cancelPendingTasks } from "./cancel";
import { withJobRuntime } from "./internal";
import { type FoldDeps, foldQueue } from "./fold";
import { foldFromPush, foldPushes } from "./fold-push";
import { FOLD_WINDOW_MS, foldTrigger } from "./trigger";

export interface JobsRuntime {
  jobs: JobStore;
  functions: FunctionRegistry;
  beforeSettle: NonNullable<DrainDeps["beforeSettle"]>;
  /** Deaths found by upkeep reach their jobs through the outbox: a fold push counts them. */
  afterDeaths(queue: string): Promise<void>;
  afterSettle: NonNullable<DrainDeps["afterSettle"]>;
  /** Folds whatever waits in the queue's outbox (the cron's safety net for folders that died). */
  foldJobs(queue: string, untilMs: number): Promise<unknown>;
  /** A fold push's work (POST /v1/work with `fold`). */
  foldFromPush(queue: string): Promise<BatchReport>;
}

export function jobsRuntime(
  redis: JobRedis,
  prefix: string,
  base: {
    tasks: Pick<TaskQueue, "enqueue" | "cancel">;
    functions: FunctionRegistry;
    clock: Clock;
    log: Logger;
    publisher: PushPublisher;
    payloads?: PayloadCipher | null;
    bucket?: BlobBucket;
    /** The fold lease (FOLD_LEASE_MS unless a test shortens it). */
    foldLeaseMs?: number;
  },
  publishBacklogPushes: (queue: string) => Promise<unknown>,
  onJobFinished?: FoldDeps["onJobFinished"],
): JobsRuntime {
  // With encryption at rest on, map task inputs and job inputs, accumulators and results are sealed.
  // Sealed first, then (past 32 KiB) kept in R2, as task inputs are.
  const jobs = sealingJobs(offloadingJobs(createJobStore(redis, { prefix, now: () => base.clock.now() }), base.bucket, prefix), base.payloads ?? null);
  const deps = { tasks: sealingTasks(base.tasks, base.payloads ?? null), jobs };
  const foldDeps: FoldDeps = {
    jobs,
    ...(base.foldLeaseMs === undefined ? {} : { leaseMs: base.foldLeaseMs }),
    functions: base.functions,
    clock: base.clock,
    log: base.log,
    payloads: base.payloads ?? null,
    ...(base.bucket ? { bucket: base.bucket } : {}),
    onJobFailed: (id, queue, total) => cancelPendingTasks({ id, queue, total }, deps),
    ...(onJobFinished ? { onJobFinished } : {}),
  };
  const pushes = foldPushes(base.publisher, base.clock, base.log, base.foldLeaseMs);
  return {
    jobs,
    functions: withJobRuntime(base.functions, { ...deps, publishBacklogPushes }),
    beforeSettle: (queue, batch) => (batch.some((task) => task.jobId !== null) ? pushes.ensure(queue) : Promise.resolve()),
    afterSettle: foldTrigger(foldDeps),
    afterDeaths: (queue) =>
      pushes.at(queue, base.clock.now()).catch((error: unknown) => {
        base.log.warn("could not publish a fold push for deaths; the cron folds them", { queue, error: String(error) });
      }),
    foldJobs: (queue, untilMs) => foldQueue(queue, foldDeps, untilMs),
    foldFromPush: (queue) => foldFromPush(queue, foldDeps, pushes, base.clock.now() + FOLD_WINDOW_MS),
  };
}
