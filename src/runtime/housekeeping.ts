/**
 * Upkeep from the push path, so that the tasks of a crashed invocation come back even when the
 * cron is off (`wrangler dev` without --test-scheduled) or a minute away: each invocation runs a
 * bounded upkeep beside its first batch (not before its claim, which the push's latency would pay
 * for; what the upkeep makes ready is handed to more pushes), and one that saw other invocations'
 * tasks running asks for a delayed push after a lease, when any of those that died will have expired.
 * Both are throttled per isolate at module scope (one entry per queue), so a busy queue does not
 * pay them per push.
 */
import { QueueNotFoundError } from "../queue/errors";
import type { TaskQueue } from "../queue/types";
import type { Clock } from "./budget";
import type { Logger } from "./logger";

/** An isolate upkeeps a queue at most this often. */
export const UPKEEP_INTERVAL_MS = 1_000;
/** Tasks promoted or reclaimed per upkeep call: bounded so no single script runs long. */
export const UPKEEP_LIMIT = 1_000;

const lastUpkeep = new Map<string, number>();
const lastLeaseCheck = new Map<string, number>();

/**
 * True when the upkeep made tasks ready (or has more to do): someone must drain them. `afterDeaths`
 * runs when it turned expired leases into deaths (a job counts those only once they are folded).
 */
export async function upkeepIfDue(
  queue: string,
  tasks: Pick<TaskQueue, "upkeep">,
  clock: Clock,
  log: Logger,
  afterDeaths?: (queue: string) => Promise<void>,
): Promise<boolean> {
  const now = clock.now();
  if (now - (lastUpkeep.get(queue) ?? Number.NEGATIVE_INFINITY) < UPKEEP_INTERVAL_MS) return false;
  lastUpkeep.set(queue, now);
  try {
    const result = await tasks.upkeep(queue, UPKEEP_LIMIT);
    if (result.requeued + result.dead > 0) log.info("reclaimed expired leases", { queue, ...result });
    if (result.dead > 0) await afterDeaths?.(queue);
    return result.promoted + result.requeued > 0 || result.more;
  } catch (error) {
    if (!(error instanceof QueueNotFoundError)) log.warn("upkeep failed; the cron will retry it", { queue, error: String(error) });
    return false;
  }
}

/**
 * When to look again at leases other invocations hold: a lease from now, on a half-lease grid so
 * that the checks asked by many invocations fall on one delayed push. Null when this isolate has
 * asked for that one already.
 */
export function leaseCheckAt(queue: string, now: number, leaseMs: number): number | null {
  const grid = Math.max(1_000, leaseMs / 2);
  const at = Math.ceil((now + leaseMs) / grid) * grid;
  if (lastLeaseCheck.get(queue) === at) return null;
  lastLeaseCheck.set(queue, at);
  return at;
}
