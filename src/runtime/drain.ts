/**
 * Drains a queue within a budget: claim a batch, run it, then settle it and claim the next in one
 * request (settleAndClaim) for as long as claims take tasks and the budget has room for one more
 * batch of the same length. Each claim that takes tasks holds the queue's live mark, so that its
 * enqueues publish no push meanwhile; the claim that takes none clears it (queue/scripts/pieces/live.ts).
 * A batch stopped by the budget settles with a call claiming nothing: complete and fail of a whole
 * batch in one request.
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
  /**
   * Runs beside each batch (without holding up the loop; throttled by its own rule): the queue's
   * upkeep, which a live invocation keeps going as the invocations it stands for did at their
   * starts. True when it made tasks ready (DrainTally.readied).
   */
  besideBatch?: () => Promise<boolean>;
}

export interface DrainSettings {
  batchSize: number;
  leaseMs: number;
  /**
   * A short batch after the first is settled, with the next claim, up to this long after its own
   * claim (CLAIM_PACE_MS): tasks came while a batch ran, so the queue is busy, and its claims then
   * take batches rather than a task or two each (every claim costs its fixed Redis calls). The wait
   * aims at CLAIM_TARGET_TASKS at the rate the last claim saw. The first batch settles at once: on
   * an idle queue it is the only one, and its waiters are answered first.
   */
  claimPaceMs?: number;
}

/**
 * The longest a busy queue's short batch waits for its settle and the next claim (DrainSettings.claimPaceMs).
 * [enq, issue 11] 100 ms, not 50: at 500–700 single enqueues a second a 50 ms pace capped claims at
 * ~20 tasks, ~1 Redis command a task in claims alone (bench/single-trace.ts); 100 ms takes ~35.
 */
export const CLAIM_PACE_MS = 100;
/**
 * The batch a busy queue's paced claims aim at: a claim's ~15 fixed calls fall under half a command a task.
 * [cmds, issue 11] 60, not 40: two worker processes' invocations each see half the queue's rate, so at
 * ~1,000 single enqueues a second a claim took ~38 tasks over ~3 partitions of 32 ms (0.58 commands a
 * task in claims, bench/single-trace.ts); below the default batch of 100, so a paced claim is never
 * "full" and starts no backlog check, and the pace stays capped at CLAIM_PACE_MS.
 */
export const CLAIM_TARGET_TASKS = 60;

/**
 * A claim that took under half of the one before, itself at least this many tasks, marks a burst's
 * end: its batch settles at once (claimPace).
 */
export const BURST_END_TASKS = 8;

/**
 * How long after a claim that took `taken` tasks, `sinceClaimBefore` ms after the one before (which
 * took `takenBefore`), the next claim goes.
 */
export function claimPace(taken: number, sinceClaimBefore: number, maxMs: number, takenBefore = 0): number {
  // one task since the claim before is a trickle or a client that waits for each result (?wait=):
  // pacing would hold its result for the whole cap and save next to nothing
  if (taken <= 1) return 0;
  // [issue 11] a burst's last claim takes what came before its end, a fraction of the claim before:
  // paced at that low rate it held the burst's last results for the whole cap (the single pattern's
  // 2,000 tasks finished 40–160 ms after their last 202) to gather tasks that are not coming
  if (takenBefore >= BURST_END_TASKS && taken * 2 < takenBefore) return 0;
  return Math.min(maxMs, (CLAIM_TARGET_TASKS * Math.max(0, sinceClaimBefore)) / taken);
}

export interface DrainTally {
  claimed: number;
  succeeded: number;
  retrying: number;
  dead: number;
  stale: number;
  batches: number;
  leaseExtensions: number;
  /**
   * The budget stopped the drain though its last claim took tasks: more are probably waiting, and
   * that claim's live mark stands until the invocation ends it (PushEpochs.endLive).
   */
  backlogLikely: boolean;
  /** besideBatch made tasks ready: someone must drain them. */
  readied: boolean;
  /** When each retrying task becomes due again. */
  retryAt: number[];
  /** The earliest delayed task's due time as the last claim saw it (null: none, or not seen). */
  nextDueAt: number | null;
}

export function emptyTally(): DrainTally {
  return {
    claimed: 0, succeeded: 0, retrying: 0, dead: 0, stale: 0, batches: 0, leaseExtensions: 0, backlogLikely: false, readied: false, retryAt: [], nextDueAt: null,
  };
}

/**
 * The first batch is always claimed, whatever the budget: an invocation that was started for a
 * backlog and did nothing would also hand nothing on. `checkBacklog` runs (without holding up
 * the loop) when a full batch hints at more backlog (`claimsAgain`: this invocation takes the next
 * batch itself), or a batch runs longer than the claim pace (false: its tasks hold it up).
 * `first`: a batch claimed already (by the invocation's start) and when its claim was sent.
 */
export async function drainQueue(
  queue: string,
  settings: DrainSettings,
  budget: Budget,
  deps: DrainDeps,
  checkBacklog: (claimsAgain: boolean) => Promise<void> = async () => {},
  first?: { batch: ClaimedTask[]; claimSentAt: number; nextDueAt: number | null },
): Promise<DrainTally> {
  const tally = emptyTally();
  tally.nextDueAt = first?.nextDueAt ?? null;
  const { batchSize, leaseMs, claimPaceMs = CLAIM_PACE_MS } = settings;
  let claimSentAt = first?.claimSentAt ?? deps.clock.now();
  let claimBefore = claimSentAt;
  let takenBefore = 0;
  let batch = first?.batch ?? (await deps.tasks.claim(queue, batchSize, leaseMs));
  const sideWork: Promise<void>[] = [];
  while (batch.length > 0) {
    const started = deps.clock.now();
    tally.claimed += batch.length;
    tally.batches++;
    budget.spendBatch();
    const full = batch.length >= batchSize;
    if (full) sideWork.push(checkBacklog(true));
    if (deps.besideBatch) sideWork.push(deps.besideBatch().then((readied) => void (tally.readied ||= readied)));
    const ready = deps.beforeSettle?.(queue, batch);
    // slow tasks: while this invocation holds the live mark, the queue's enqueues start no other
    // invocation, so a batch still running after the claim pace has the backlog checked as a full
    // one does (and more invocations pushed if it calls for them)
    const slow = full ? undefined : setTimeout(() => sideWork.push(checkBacklog(false)), claimPaceMs);
    const settlement = await runBatch(queue, batch, { leaseMs, claimSentAt }, budget, deps).finally(() => {
      if (slow !== undefined) clearTimeout(slow);
    });
    await ready;
    tally.leaseExtensions += settlement.leaseExtensions;
    const goOn = budget.allows(deps.clock.now() - started);
    if (goOn && !full && tally.batches > 1) await pause(claimSentAt + claimPace(batch.length, claimSentAt - claimBefore, claimPaceMs, takenBefore) - deps.clock.now());
    if (goOn) [claimBefore, claimSentAt] = [claimSentAt, deps.clock.now()];
    takenBefore = batch.length;
    const next = goOn ? await deps.tasks.settleAndClaim(queue, settlement, batchSize, leaseMs) : await deps.tasks.settleAndClaim(queue, settlement, 0);
    count(tally, next.outcomes);
    tally.nextDueAt = next.nextDueAt ?? tally.nextDueAt;
    if (deps.afterSettle) sideWork.push(deps.afterSettle(queue, batch));
    if (!goOn) {
      tally.backlogLikely = true;
      break;
    }
    batch = next.claimed;
    // a claim that took nothing need not mean an empty queue: a settle that freed a flow-control
    // slot whose key has tasks held back (or a delayed task now due) answers with a due time of now
    if (batch.length === 0 && next.nextDueAt !== null && next.nextDueAt <= deps.clock.now() + 1 && budget.allows(deps.clock.now() - started)) {
      [claimBefore, claimSentAt] = [claimSentAt, deps.clock.now()];
      batch = await deps.tasks.claim(queue, batchSize, leaseMs);
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

function pause(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
