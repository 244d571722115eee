/**
 * Coalesces the `ctx.progress` calls of one batch: the latest value per task is kept in memory and
 * written at most once a second, every task of the batch in one request (HSET with many fields).
 * A function may report a thousand times a second and still cost one request a second; when the
 * batch's leases are extended, what is pending goes with the extension (the client pipelines
 * commands sent in the same tick into one request). As the batch ends, the entries it wrote are
 * removed (the task's result says the rest).
 */
import { progressJson, type ProgressEntry, type ProgressStore } from "../queue/progress";
import type { Clock } from "./budget";
import type { Logger } from "./logger";

/** At most one progress write per batch in this interval. */
export const PROGRESS_FLUSH_MS = 1_000;

export interface ProgressReporter {
  /** Checks the value at once (a TypeError reaches the caller) and queues it for the next flush. */
  report(id: string, value: unknown): void;
  /** Writes what is pending now, whatever the interval: called beside a lease extension, whose request it shares. */
  flushNow(): void;
  /** Requests made so far. */
  readonly writes: number;
  /** Stops flushing and removes what the batch wrote; pending values are dropped (the task is over). */
  stop(): Promise<void>;
}

export function progressReporter(queue: string, store: ProgressStore, clock: Clock, log: Logger): ProgressReporter {
  const pending = new Map<string, ProgressEntry>();
  const written = new Set<string>();
  let lastFlushAt = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let writes = 0;
  let stopped = false;

  const flush = () => {
    timer = undefined;
    if (stopped || pending.size === 0) return;
    const entries = [...pending.values()];
    pending.clear();
    lastFlushAt = clock.now();
    writes++;
    for (const entry of entries) written.add(entry.id);
    inFlight = store.write(queue, entries).catch((error: unknown) => {
      // Progress is advisory: a lost write is replaced by the next one.
      log.warn("progress write failed", { queue, error: String(error) });
    });
  };

  return {
    report(id, value) {
      if (stopped) return;
      progressJson(value);
      pending.set(id, { id, value, at: clock.now() });
      if (timer === undefined) timer = setTimeout(flush, Math.max(0, lastFlushAt + PROGRESS_FLUSH_MS - clock.now()));
    },
    flushNow() {
      if (timer !== undefined) clearTimeout(timer);
      flush();
    },
    get writes() {
      return writes;
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight;
      if (written.size > 0) await store.clear(queue, [...written]).catch((error: unknown) => log.warn("progress clear failed", { queue, error: String(error) }));
    },
  };
}
