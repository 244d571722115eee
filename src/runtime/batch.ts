/**
 * Runs one claimed batch: every task with bounded concurrency, leases kept alive meanwhile, and the
 * outcomes gathered into one completion list and one failure list so that the batch settles in
 * one request. Free of Workers types: it runs the same in Node tests.
 */
import type { BlobBucket, BlobStore } from "../blobs/index";
import type { ClaimedTask, TaskCompletion, TaskFailure, TaskQueue } from "../queue/types";
import type { PayloadCipher } from "../security/index";
import type { Budget, Clock } from "./budget";
import { mapConcurrently } from "./concurrency";
import { executeTask, type TaskOutcome } from "./execute";
import { openInput, sealResult } from "./task-sealing";
import { keepLeases } from "./lease";
import { progressReporter } from "./progress";
import type { ProgressStore } from "../queue/progress";
import type { Logger } from "./logger";
import type { FunctionRegistry } from "./registry";
import type { TaskTracer } from "./tracing";

export interface BatchDeps {
  tasks: Pick<TaskQueue, "extendLeases">;
  functions: Pick<FunctionRegistry, "task" | "names">;
  clock: Clock;
  log: Logger;
  /** Tasks of one batch running at the same time. */
  concurrency: number;
  /** Per-attempt time limit when neither the task nor its function sets one. */
  defaultTimeoutMs: number;
  /** Hooks around each attempt (tracing.ts); executeTask receives it with the rest of deps. */
  tracer?: TaskTracer;
  /** Encryption at rest (EDGEQ_ENCRYPTION_KEYS): inputs opened before running, results sealed before settling. */
  payloads?: PayloadCipher | null;
  /** Largest result the queue core will store, as the function returns it (smaller when results are sealed). */
  maxResultBytes?: number;
  /** What functions see as ctx.blobs (the BLOBS bucket). */
  blobs?: BlobStore;
  /** The BLOBS bucket, where inputs and results past 32 KiB are kept (src/blobs/payloads.ts). */
  bucket?: BlobBucket;
  /** The deployment's key prefix (EDGEQ_KEY_PREFIX), which the names of those blobs carry. */
  keyPrefix?: string;
  /** Where ctx.progress values are written (coalesced per batch); ignored when absent. */
  progress?: ProgressStore;
}

export interface Settlement {
  completions: TaskCompletion[];
  failures: TaskFailure[];
  /** Extension requests made while the batch ran. */
  leaseExtensions: number;
}

export async function runBatch(
  queue: string,
  batch: readonly ClaimedTask[],
  lease: { leaseMs: number; claimSentAt: number },
  budget: Budget,
  deps: BatchDeps,
): Promise<Settlement> {
  const progress = deps.progress ? progressReporter(queue, deps.progress, deps.clock, deps.log) : undefined;
  const keeper = keepLeases(batch, lease.claimSentAt, {
    queue,
    leaseMs: lease.leaseMs,
    ...deps,
    ...(progress ? { beforeRenew: () => progress.flushNow() } : {}),
  });
  const outcomes = await mapConcurrently(batch, deps.concurrency, async (task): Promise<TaskOutcome> => {
    const opened = await openInput(task, deps.payloads ?? null, deps.bucket);
    if (!opened.ok) return { ok: false, retryable: true, error: opened.error, durationMs: 0 };
    return sealResult(
      await executeTask(opened.task, {
        ...deps,
        maxTimeoutMs: budget.untilHardLimit(),
        abortHandle: (stop) => keeper.onLost(task.id, stop),
        ...(progress ? { reportProgress: (value: unknown) => progress.report(task.id, value) } : {}),
      }),
      task,
      deps.payloads ?? null,
      deps.bucket,
      deps.keyPrefix,
    );
  });
  await Promise.all([keeper.stop(), progress?.stop()]);
  const settlement: Settlement = { completions: [], failures: [], leaseExtensions: keeper.extensions };
  batch.forEach((task, index) => {
    const outcome = outcomes[index];
    if (!outcome) return;
    const leaseToken = keeper.token(task.id);
    if (outcome.ok) settlement.completions.push({ id: task.id, leaseToken, result: outcome.result });
    else settlement.failures.push({ id: task.id, leaseToken, error: outcome.error, retryable: outcome.retryable });
  });
  return settlement;
}
