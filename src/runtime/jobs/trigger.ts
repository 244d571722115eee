/**
 * When to fold: after batches that settled tasks of a job, without holding up the drain loop, and
 * at most once per FOLD_INTERVAL_MS per queue and invocation, so that a fold round (three
 * requests) takes in many batches' results and an invocation's subrequests stay few. A settle
 * while a fold is waiting to start adds nothing: that fold will read its entries.
 */
import type { ClaimedTask } from "../../queue/types";
import { type FoldDeps, foldQueue } from "./fold";

/** How long one fold may keep going (rounds of up to ROUND_SIZE entries). */
export const FOLD_WINDOW_MS = 20_000;
export const FOLD_INTERVAL_MS = 1_000;

export type FoldTrigger = (queue: string, settled: readonly ClaimedTask[]) => Promise<void>;

export function foldTrigger(deps: FoldDeps, intervalMs = FOLD_INTERVAL_MS): FoldTrigger {
  const waiting = new Map<string, Promise<void>>();
  const lastStart = new Map<string, number>();
  const fold = async (queue: string) => {
    try {
      await foldQueue(queue, deps, deps.clock.now() + FOLD_WINDOW_MS);
    } catch (error) {
      // The entries stay in the outbox: the next settle or the cron folds them.
      deps.log.warn("fold failed", { queue, error: String(error) });
    }
  };
  return (queue, settled) => {
    if (!settled.some((task) => task.jobId !== null)) return Promise.resolve();
    const pending = waiting.get(queue);
    if (pending) return pending;
    const delay = Math.max(0, (lastStart.get(queue) ?? Number.NEGATIVE_INFINITY) + intervalMs - deps.clock.now());
    const started = new Promise((resolve) => setTimeout(resolve, delay)).then(() => {
      waiting.delete(queue);
      lastStart.set(queue, deps.clock.now());
      return fold(queue);
    });
    waiting.set(queue, started);
    return started;
  };
}
