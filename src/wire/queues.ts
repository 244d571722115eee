/** Queues on the wire: GET /v1/queues[/{queue}], PATCH /v1/queues/{queue} (durations in milliseconds). */

export interface BackoffPolicy {
  /** exponential: base * 2^(attempt-1); fixed: base every time. */
  type: "exponential" | "fixed";
  baseMs: number;
  maxMs: number;
  /** 0..1: the share of each delay drawn at random ("full jitter" at 1). */
  jitter: number;
}

export interface QueueSettings {
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Visibility timeout: a claimed task returns to the queue when its lease runs out. */
  leaseMs: number;
  /** How long succeeded (and canceled) tasks' records and results are kept. Dead tasks stay until retried or purged. */
  resultTtlMs: number;
  /** Tasks claimed per worker invocation. */
  batchSize: number;
  /** Upper bound of concurrent push invocations the autoscaler may start for this queue. */
  maxParallel: number;
  /** Window in which a second enqueue with the same dedupKey returns the first task's id. */
  dedupWindowMs: number;
  paused: boolean;
}

/** A settings change (PATCH): any subset, and any subset of the backoff policy. */
export type QueueSettingsPatch = Partial<Omit<QueueSettings, "backoff">> & { backoff?: Partial<BackoffPolicy> };

export interface QueueCounts {
  delayed: number;
  queued: number;
  running: number;
  dead: number;
  /** Monotonic totals since the queue was created. */
  enqueued: number;
  succeeded: number;
  failed: number;
  canceled: number;
}

export interface QueueSummary {
  name: string;
  settings: QueueSettings;
  counts: QueueCounts;
}

/** A database that did not answer a listing (several databases only): its queues are missing from it. */
export interface UnavailableDatabase {
  database: string;
  detail: string;
}
