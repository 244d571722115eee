/**
 * The time one invocation may spend. Two limits: after `softMs` no new batch is claimed (running
 * tasks finish); at `hardMs` running tasks are aborted so the invocation ends before the platform
 * kills it (and their leases would have to expire first). The clock is injected so tests need no
 * real waiting; Workers' Date.now() only advances across I/O, which is all this needs.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface BudgetLimits {
  softMs: number;
  hardMs: number;
}

export interface Budget {
  readonly limits: BudgetLimits;
  elapsed(): number;
  /** Milliseconds left before the soft limit (never negative). */
  remaining(): number;
  /** Whether a batch expected to take `estimateMs` still ends before the soft limit. */
  allows(estimateMs: number): boolean;
  /** Milliseconds left before the hard limit, for capping task timeouts (never negative). */
  untilHardLimit(): number;
}

export function createBudget(limits: BudgetLimits, clock: Clock = systemClock): Budget {
  if (!(limits.softMs >= 0 && limits.hardMs >= limits.softMs)) {
    throw new RangeError(`budget needs 0 <= softMs <= hardMs, got soft ${limits.softMs} and hard ${limits.hardMs}`);
  }
  const start = clock.now();
  const elapsed = () => clock.now() - start;
  return {
    limits,
    elapsed,
    remaining: () => Math.max(0, limits.softMs - elapsed()),
    allows: (estimateMs) => elapsed() + Math.max(0, estimateMs) <= limits.softMs,
    untilHardLimit: () => Math.max(0, limits.hardMs - elapsed()),
  };
}
