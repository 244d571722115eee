/**
 * Drains a queue within a budget: claim a batch, run it, then settle it and claim the next in one
 * request (settleAndClaim) for as long as batches come back full and the budget has room for one
 * more of the same length. The last batch settles with the same call claiming nothing: complete
 * and fail of a whole batch in one request.
 */
import type { ClaimedTask, SettleOutcome, TaskQueue } from "../queue/types";
import { type BatchDeps, runBatch } from "./batch";
import type { Budget } from "./budget";

export interface DrainDeps extends BatchDeps {
  tasks: Pick<TaskQueue, "claim" | "settleAndClaim" | "extendLeases">;
  /**
   * Runs beside each batch and is awaited before the batch settles: jobs make sure a worker will
   * fold what the settle leaves even if this invocation dies right after (jobs/fold-push.ts).
   */
  beforeSettle?: (queue: string, batch: readonly ClaimedTask[]) => Promise<void>;
  /** Runs (without holding up the loop) after each batch settles: jobs fold their tasks' results. */
  afterSettle?: (queue: string, settled: readonly ClaimedTask[]) => Promise<void>;
}

export interface DrainSettings {
  batchSize: number;
  leaseMs: number;
}

export interface DrainTally {
  claimed: number;
  succeeded: number;
  retrying: number;
  dead: number;
  stale: number;
  batches: number;
  leaseExtensions: number;
  /** The last claim came back full, so tasks are probably still waiting. */
  backlogLikely: boolean;
  /** When each retrying task becomes due again. */
  retryAt: number[];
  /** The earliest delayed task's due time as the last claim saw it (null: none, or not seen). */
  nextDueAt: number | null;
}

export function emptyTally(): DrainTally {
  return {
    claimed: 0, succeeded: 0, retrying: 0, dead: 0, stale: 0, batches: 0, leaseExtensions: 0, backlogLikely: false, retryAt: [], nextDueAt: null,
  };
}

/**
 * The first batch is always claimed, whatever the budget: an invocation that was started for a
 * backlog and did nothing would also hand nothing on. `afterFullBatch` runs (without holding up
 * the loop) when a full batch hints at more backlog. `first`: a batch claimed already (by the
 * invocation's start) and when its claim was sent.
 */
export async function drainQueue(
  queue: string,
  settings: DrainSettings,
  budget: Budget,
  deps: DrainDeps,
  afterFullBatch: () => Promise<void> = async () => {},
  first?: { batch: ClaimedTask[]; claimSentAt: number; nextDueAt: number | null },
): Promise<DrainTally> {
  const tally = emptyTally();
  tally.nextDueAt = first?.nextDueAt ?? null;
  const { batchSize, leaseMs } = settings;
  let claimSentAt = first?.claimSentAt ?? deps.clock.now();
  let batch = first?.batch ?? (await deps.tasks.claim(queue, batchSize, leaseMs));
  const sideWork: Promise<void>[] = [];
  while (batch.length > 0) {
    const started = deps.clock.now();
    tally.claimed += batch.length;
    tally.batches++;
    budget.spendBatch();
    const full = batch.length >= batchSize;
    if (full) sideWork.push(afterFullBatch());
    const ready = deps.beforeSettle?.(queue, batch);
    const settlement = await runBatch(queue, batch, { leaseMs, claimSentAt }, budget, deps);
    await ready;
    tally.leaseExtensions += settlement.leaseExtensions;
    if (full && budget.allows(deps.clock.now() - started)) {
      claimSentAt = deps.clock.now();
      const next = await deps.tasks.settleAndClaim(queue, settlement, batchSize, leaseMs);
      count(tally, next.outcomes);
      tally.nextDueAt = next.nextDueAt ?? tally.nextDueAt;
      if (deps.afterSettle) sideWork.push(deps.afterSettle(queue, batch));
      batch = next.claimed;
    } else {
      const last = await deps.tasks.settleAndClaim(queue, settlement, 0);
      count(tally, last.outcomes);
      tally.nextDueAt = last.nextDueAt ?? tally.nextDueAt;
      if (deps.afterSettle) sideWork.push(deps.afterSettle(queue, batch));
      tally.backlogLikely = full;
      break;
    }
  }
  await Promise.all(sideWork);
  return tally;
}

function count(tally: DrainTally, outcomes: SettleOutcome[]): void {
  for (const settled of outcomes) {
    tally[settled.outcome]++;
    if (settled.outcome === "retrying") tally.retryAt.push(settled.runAt);
  }
}
