/**
 * When to fold: after each batch that settled tasks of a job, without holding up the drain loop.
 * One fold loop per invocation and queue at a time; a settle while it runs asks for one more pass
 * (its entries may have missed the loop's last read).
 */
import type { ClaimedTask } from "../../queue/types";
import { type FoldDeps, foldQueue } from "./fold";

/** How long one invocation may keep folding after its last settle. */
export const FOLD_WINDOW_MS = 20_000;

export type FoldTrigger = (queue: string, settled: readonly ClaimedTask[]) => Promise<void>;

export function foldTrigger(deps: FoldDeps): FoldTrigger {
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const loop = async (queue: string) => {
    try {
      do {
        again.delete(queue);
        await foldQueue(queue, deps, deps.clock.now() + FOLD_WINDOW_MS);
      } while (again.has(queue));
    } catch (error) {
      // The entries stay in the outbox: the next settle or the cron folds them.
      deps.log.warn("fold failed", { queue, error: String(error) });
    } finally {
      running.delete(queue);
    }
  };
  return (queue, settled) => {
    if (!settled.some((task) => task.jobId !== null)) return Promise.resolve();
    const current = running.get(queue);
    if (current) {
      again.add(queue);
      return current;
    }
    const started = loop(queue);
    running.set(queue, started);
    return started;
  };
}
