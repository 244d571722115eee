/**
 * One worker invocation for one queue, as the push and the cron handlers run it: announce the
 * start (advance the push epoch, upkeep), drain within the budget, hand any backlog left to more
 * push invocations and ask for wake-ups (retries, others' leases). Free of Workers types; every
 * client arrives in `deps`.
 */
import { QueueNotFoundError } from "../queue/errors";
import type { QueueSummary, TaskQueue } from "../queue/types";
import { pushesWanted, pushRequests, wakeUpRequests } from "./autoscale";
import type { Budget } from "./budget";
import { type DrainDeps, drainQueue } from "./drain";
import { leaseCheckAt, upkeepIfDue } from "./housekeeping";
import type { PushEpochs } from "./epochs";
import { countNew, type PushPublisher } from "./publisher";
import type { BatchReport } from "./types";

export interface InvocationDeps extends DrainDeps {
  tasks: DrainDeps["tasks"] & Pick<TaskQueue, "getQueue" | "upkeep">;
  epochs: PushEpochs;
  publisher: PushPublisher;
  /** Minimum time between two scale-out checks of one invocation (each costs a request or two). */
  scaleIntervalMs: number;
}

export async function runInvocation(queue: string, budget: Budget, deps: InvocationDeps): Promise<BatchReport> {
  const started = deps.clock.now();
  const report: BatchReport = { queue, claimed: 0, succeeded: 0, retrying: 0, dead: 0, stale: 0, published: 0, durationMs: 0 };
  const summary = await queueToRun(queue, deps);
  if (summary && !summary.settings.paused) {
    const { batchSize, leaseMs } = summary.settings;
    let lastScaleCheck = Number.NEGATIVE_INFINITY;
    const scaleOut = async () => {
      if (deps.clock.now() - lastScaleCheck < deps.scaleIntervalMs) return;
      lastScaleCheck = deps.clock.now();
      report.published += await publishForBacklog(queue, deps);
    };
    const tally = await drainQueue(queue, { batchSize, leaseMs }, budget, deps, scaleOut);
    // Ending with a full last batch: someone must carry on, whatever the last check said.
    if (tally.backlogLikely) {
      lastScaleCheck = Number.NEGATIVE_INFINITY;
      await scaleOut();
    }
    // Tasks others held as this one started may belong to an invocation that died.
    const leaseCheck = summary.counts.running > 0 ? leaseCheckAt(queue, deps.clock.now(), leaseMs) : null;
    const wakeAt = leaseCheck === null ? tally.retryAt : [...tally.retryAt, leaseCheck];
    if (wakeAt.length > 0) report.published += await publishWakeUps(queue, wakeAt, summary.settings.maxParallel, deps);
    Object.assign(report, {
      claimed: tally.claimed,
      succeeded: tally.succeeded,
      retrying: tally.retrying,
      dead: tally.dead,
      stale: tally.stale,
    });
    const level = tally.claimed > 0 || report.published > 0 ? "info" : "debug";
    report.durationMs = deps.clock.now() - started;
    deps.log[level]("invocation finished", { ...report, batches: tally.batches, leaseExtensions: tally.leaseExtensions });
  }
  report.durationMs = deps.clock.now() - started;
  return report;
}

/**
 * The queue's settings, with the push epoch advanced and upkeep done in the same round trip (the
 * client's auto-pipelining sends them at once). A push for a queue deleted since it was published
 * has nothing to do: answering it normally keeps QStash from retrying it.
 */
async function queueToRun(queue: string, deps: InvocationDeps): Promise<QueueSummary | null> {
  const [summary] = await Promise.all([
    deps.tasks.getQueue(queue).catch((error: unknown) => {
      if (error instanceof QueueNotFoundError) return null;
      throw error;
    }),
    deps.epochs.advance(queue),
    upkeepIfDue(queue, deps.tasks, deps.clock, deps.log),
  ]);
  if (!summary) deps.log.warn("push for a queue that does not exist", { queue });
  return summary;
}

/** Delayed pushes for retries and lease checks; best effort like every publish. */
async function publishWakeUps(queue: string, wakeAt: number[], maxParallel: number, deps: InvocationDeps): Promise<number> {
  try {
    return countNew(await deps.publisher.publish(wakeUpRequests(queue, wakeAt, maxParallel)));
  } catch (error) {
    deps.log.warn("could not publish wake-ups; the cron will cover them", { queue, error: String(error) });
    return 0;
  }
}

/**
 * Publishes the pushes the backlog calls for; returns how many QStash took as new. A failure here
 * must not fail the invocation (its tasks are settled): the cron starts drainers within a minute.
 */
export async function publishForBacklog(queue: string, deps: Omit<InvocationDeps, "scaleIntervalMs">): Promise<number> {
  try {
    const [summary, epoch] = await Promise.all([deps.tasks.getQueue(queue), deps.epochs.current(queue)]);
    const { counts, settings } = summary;
    const count = pushesWanted({ ...counts, ...settings });
    return countNew(await deps.publisher.publish(pushRequests(queue, { epoch, now: deps.clock.now() }, count, settings.maxParallel)));
  } catch (error) {
    deps.log.warn("could not publish follow-up pushes; the cron will start drainers", { queue, error: String(error) });
    return 0;
  }
}
