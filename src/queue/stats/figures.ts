/**
 * The figures a queue's statistics read gives (stats/read.ts), apart from the script that reads
 * them, so that the queue's types can name them without importing the reader.
 */
import type { Histogram, Percentiles } from "./histogram";

export interface MinuteCounts {
  enqueued: number;
  succeeded: number;
  /** Failed attempts (retried or not). */
  failed: number;
  dead: number;
  canceled: number;
  /** Dead tasks sent back to the queue. */
  retried: number;
}

export interface MinuteStats extends MinuteCounts {
  /** Start of the minute, ms since the epoch. */
  at: number;
  /** Run-time percentiles of the attempts settled in that minute (null when none). */
  runP50Ms: number | null;
  runP95Ms: number | null;
}

export interface QueueStats {
  /** When the figures were read. */
  at: number;
  /** The last 60 whole minutes and the current one, oldest first. */
  minutes: MinuteStats[];
  /** Sums over `minutes`. */
  lastHour: MinuteCounts;
  /** Time from claim to settle of each attempt in the last hour. */
  runTime: Percentiles;
  /** Time from becoming ready (creation or run-at) to the first claim, in the last hour. */
  wait: Percentiles;
  /** How long the task at the head of the queue has been ready; null when none is waiting. */
  oldestWaitingMs: number | null;
  /** Batches being worked on now: each worker invocation works one at a time. */
  activeInvocations: number;
  /** Since the queue began: the histograms /metrics exposes (buckets as in histogram.ts). */
  totals: { runTime: Histogram; wait: Histogram };
}
