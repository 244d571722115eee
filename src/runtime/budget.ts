/**
 * The time one invocation may spend. Two limits: after `softMs` no new batch is claimed (running
 * tasks finish); at `hardMs` running tasks are aborted so the invocation ends before the platform
 * kills it (and their leases would have to expire first). The clock is injected so tests need no
 * real waiting; Workers' Date.now() only advances across I/O, which is all this needs.
 * `maxBatches` bounds the requests too: a Worker invocation may make only so many subrequests
 * (1,000 on the paid plan), and each batch costs one, with a few more for leases and pushes.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface BudgetLimits {
  softMs: number;
  hardMs: number;
  /** Batches this invocation may run (unbounded when omitted). */
  maxBatches?: number;
}

export interface Budget {
  readonly limits: BudgetLimits;
  elapsed(): number;
  /** Milliseconds left before the soft limit (never negative). */
  remaining(): number;
  /** Whether one more batch, expected to take `estimateMs`, ends before the soft limit and fits the batch cap. */
  allows(estimateMs: number): boolean;
  /** Counts batches (one by default) against `maxBatches`. */
  spendBatch(count?: number): void;
  /** Batches spent so far. */
  batches(): number;
  /** Batches left before `maxBatches` (Infinity when unbounded). */
  batchesLeft(): number;
  /** Milliseconds left before the hard limit, for capping task timeouts (never negative). */
  untilHardLimit(): number;
}

export function createBudget(limits: BudgetLimits, clock: Clock = systemClock): Budget {
  if (!(limits.softMs >= 0 && limits.hardMs >= limits.softMs)) {
    throw new RangeError(`budget needs 0 <= softMs <= hardMs, got soft ${limits.softMs} and hard ${limits.hardMs}`);
  }
  const start = clock.now();
  const elapsed = () => clock.now() - start;
  let batches = 0;
  const batchesLeft = () => Math.max(0, (limits.maxBatches ?? Number.POSITIVE_INFINITY) - batches);
  return {
    limits,
    elapsed,
    remaining: () => Math.max(0, limits.softMs - elapsed()),
    allows: (estimateMs) => batchesLeft() > 0 && elapsed() + Math.max(0, estimateMs) <= limits.softMs,
    spendBatch: (count = 1) => void (batches += count),
    batches: () => batches,
    batchesLeft,
    untilHardLimit: () => Math.max(0, limits.hardMs - elapsed()),
  };
}
