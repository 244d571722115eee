/**
 * One worker invocation for one queue, as the push and the cron handlers run it: start (replay
 * mark, push epoch, settings and the first claim in one request), drain within the budget, hand
 * any backlog left to more push invocations and ask for delayed pushes (retries, others' leases). Free
 * of Workers types; every client arrives in `deps`.
 */
import type { ReplayMark, TaskQueue } from "../queue/types";
import { pushesWanted, pushRequests, delayedPushRequests } from "./autoscale";
import type { Budget } from "./budget";
import { type DrainDeps, drainQueue } from "./drain";
import { leaseCheckAt, upkeepIfDue } from "./housekeeping";
import type { PushEpochs } from "./epochs";
import { countNew, type PushPublisher } from "./publisher";
import type { BatchReport } from "./types";

export interface InvocationDeps extends DrainDeps {
  tasks: DrainDeps["tasks"] & Pick<TaskQueue, "getQueue" | "upkeep" | "startInvocation">;
  epochs: PushEpochs;
  publisher: PushPublisher;
  /** Minimum time between two backlog checks of one invocation (each costs a request or two). */
  scaleIntervalMs: number;
  /** Runs when this invocation's upkeep turned expired leases into deaths (jobs: a fold push); never throws. */
  afterDeaths?: (queue: string) => Promise<void>;
}

/** The delivery's replay mark existed already: a replayed push, which did nothing. */
export class ReplayedDeliveryError extends Error {
  constructor(queue: string) {
    super(`a push for queue ${queue} was delivered again with a signature used already`);
    this.name = "ReplayedDeliveryError";
  }
}

/**
 * `replayMark`: the delivery's, set by the same script that starts the invocation (a replay
 * throws ReplayedDeliveryError having changed nothing).
 */
export async function runInvocation(queue: string, budget: Budget, deps: InvocationDeps, replayMark?: ReplayMark): Promise<BatchReport> {
  const started = deps.clock.now();
  const report: BatchReport = { queue, claimed: 0, succeeded: 0, retrying: 0, dead: 0, stale: 0, published: 0, durationMs: 0 };
  const start = await startQueue(queue, deps, replayMark).catch(async (error: unknown) => {
    // A start that failed (not a replay) still gets its upkeep tried, as the safety net would.
    if (!(error instanceof ReplayedDeliveryError)) await upkeepIfDue(queue, deps.tasks, deps.clock, deps.log, deps.afterDeaths);
    throw error;
  });
  if (start) {
    // Beside the first batch rather than before it; what it makes ready needs a push.
    const upkept = upkeepIfDue(queue, deps.tasks, deps.clock, deps.log, deps.afterDeaths);
    const { summary } = start;
    if (!summary.settings.paused) {
      const { batchSize, leaseMs } = summary.settings;
      let lastBacklogCheck = Number.NEGATIVE_INFINITY;
      const pushForBacklog = async (claimsAgain = false) => {
        if (deps.clock.now() - lastBacklogCheck < deps.scaleIntervalMs) return;
        lastBacklogCheck = deps.clock.now();
        report.published += await publishBacklogPushes(queue, deps, claimsAgain);
      };
      // a live invocation stands for many: the upkeep goes on beside its batches (at most once a second)
      const besideBatch = () => upkeepIfDue(queue, deps.tasks, deps.clock, deps.log, deps.afterDeaths);
      const tally = await drainQueue(queue, { batchSize, leaseMs }, budget, { ...deps, besideBatch }, pushForBacklog, start);
      // Stopped by the budget with tasks coming, or upkeep having requeued tasks: someone must carry
      // on, whatever the last check said. The live mark ends first, so that an enqueue either pushes
      // itself or came before the backlog is read (queue/scripts/pieces/live.ts).
      if (tally.backlogLikely) await endLiveMark(queue, deps);
      if (tally.backlogLikely || tally.readied || (await upkept)) {
        lastBacklogCheck = Number.NEGATIVE_INFINITY;
        await pushForBacklog();
      }
      // Tasks others held as this one started may belong to an invocation that died; so may those of
      // invocations that started while it drained (its live mark kept the enqueues from starting
      // others that would have looked). The earliest delayed task left gets a delayed push too, so
      // that a burst of delays is run second by second by a chain of pushes (one per distinct due
      // second), not by the cron.
      const othersMayHold = summary.counts.running > 0 || tally.batches > 1;
      const leaseCheck = othersMayHold ? leaseCheckAt(queue, deps.clock.now(), leaseMs) : null;
      // a due time already past (a flow-control slot opened as the last batch settled) is pushed for now
      const nextDue = tally.nextDueAt === null ? null : Math.max(tally.nextDueAt, deps.clock.now() + 1);
      const dueAt = [...tally.retryAt, ...[leaseCheck, nextDue].filter((time): time is number => time !== null)]
        .filter((time) => time > deps.clock.now());
      if (dueAt.length > 0) report.published += await publishDelayedPushes(queue, dueAt, summary.settings.maxParallel, deps);
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
    } else {
      await upkept;
    }
  }
  report.durationMs = deps.clock.now() - started;
  return report;
}

/**
 * One request: the replay mark, the push epoch advanced, the queue's settings and counts, and the
 * first batch claimed (TaskQueue.startInvocation). A push for a queue deleted since it was
 * published has nothing to do: answering it normally keeps QStash from retrying it.
 */
async function startQueue(queue: string, deps: InvocationDeps, replayMark: ReplayMark | undefined) {
  const claimSentAt = deps.clock.now();
  const start = await deps.tasks.startInvocation(queue, replayMark);
  if (start.kind === "replayed") throw new ReplayedDeliveryError(queue);
  if (start.kind === "missing") {
    deps.log.warn("push for a queue that does not exist", { queue });
    return null;
  }
  return { summary: start.summary, batch: start.claimed, claimSentAt, nextDueAt: start.nextDueAt };
}

/** Best effort: a mark left standing only silences the queue's pushes until it lapses (LIVE_MARK_MS). */
async function endLiveMark(queue: string, deps: InvocationDeps): Promise<void> {
  try {
    await deps.epochs.endLive(queue);
  } catch (error) {
    deps.log.warn("could not end the live mark; the queue's pushes resume when it lapses", { queue, error: String(error) });
  }
}

/** Delayed pushes for retries and lease checks; best effort like every publish. */
async function publishDelayedPushes(queue: string, dueAt: number[], maxParallel: number, deps: InvocationDeps): Promise<number> {
  try {
    return countNew(await deps.publisher.publish(delayedPushRequests(queue, dueAt, maxParallel)));
  } catch (error) {
    deps.log.warn("could not publish delayed pushes; the cron will cover them", { queue, error: String(error) });
    return 0;
  }
}

/**
 * Publishes the pushes the backlog calls for; returns how many QStash took as new. A failure here
 * must not fail the invocation (its tasks are settled): the cron publishes pushes within a minute.
 * `claimsAgain`: the caller goes on claiming (pushesWanted).
 */
export async function publishBacklogPushes(queue: string, deps: Omit<InvocationDeps, "scaleIntervalMs">, claimsAgain = false): Promise<number> {
  try {
    const [summary, epoch] = await Promise.all([deps.tasks.getQueue(queue), deps.epochs.current(queue)]);
    const { counts, settings } = summary;
    const count = pushesWanted({ ...counts, ...settings }, claimsAgain);
    if (count === 0) return 0;
    return countNew(await deps.publisher.publish(pushRequests(queue, { epoch, now: deps.clock.now() }, count, settings.maxParallel)));
  } catch (error) {
    deps.log.warn("could not publish follow-up pushes; the cron will publish them", { queue, error: String(error) });
    return 0;
  }
}
