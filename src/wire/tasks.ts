/** Tasks on the wire: what POST /v1/queues/{queue}/tasks takes and answers, what GET /v1/tasks/{id} shows. */

/** A failed attempt that will be retried shows as `delayed` (waiting for its backoff) with `error` set. */
export type TaskStatus = "delayed" | "queued" | "running" | "succeeded" | "dead" | "canceled";

/** Seconds, or a duration string such as "10s", "5m", "2h" (as QStash takes them). */
export type Duration = number | string;

/** POSTed the final task (or job) through QStash when it ends; the host must be in EDGEQ_CALLBACK_HOSTS. */
export interface Callback {
  url: string;
  headers?: Record<string, string>;
}

/** Per-key limits, keys taking turns (README "Flow control"), as QStash's flowControl. */
export interface FlowControlRequest {
  /** 1-128 characters: the tenant, customer, API key ... whose tasks share the limits. */
  key: string;
  /** At most this many of the key's tasks hold a lease at once. */
  parallelism?: number;
  /** At most this many of the key's tasks start (are claimed) in any window of `period`. */
  rate?: number;
  /** The window of `rate` (default 1 s). */
  period?: Duration;
}

/** One task to enqueue (alone, or in `{tasks: [...]}`). */
export interface TaskRequest {
  fn: string;
  input?: unknown;
  /** Caller-given id, sent with or without `<queue>~`: enqueuing it again creates nothing. */
  id?: string;
  dedupKey?: string;
  /** Higher runs first; integers in [-1000, 1000]; default 0. */
  priority?: number;
  /** Run no earlier than this from now (or at `runAt`, not both). */
  delay?: Duration;
  /** Run no earlier than this (ms since the epoch). */
  runAt?: number;
  maxAttempts?: number;
  /** Per-attempt time limit. */
  timeout?: Duration;
  callback?: Callback;
  flowControl?: FlowControlRequest;
}

/** The answer to one task: `duplicate` when its id or dedupKey already existed. */
export interface EnqueuedTask {
  id: string;
  status: TaskStatus;
  duplicate: boolean;
}

/** The answer to `{tasks: [...]}`: the ids in the order sent. */
export interface EnqueuedTasks {
  ids: string[];
  duplicates: number;
}

/**
 * A task's flow-control key and the limits it was enqueued with, as the queue core takes and keeps
 * them; the values of the latest enqueued task of a key win for the key.
 */
export interface FlowControl {
  key: string;
  parallelism?: number;
  /** At most this many of the key's tasks start (are claimed) in any window of `periodMs`. */
  rate?: number;
  periodMs?: number;
}

/** GET /v1/tasks/{id}: a task as stored (its payloads opened) and, while it runs, its last progress. */
export interface Task {
  /** `<queue>~<local>`: the queue it belongs to, then a ULID or the caller's own id. */
  id: string;
  queue: string;
  fn: string;
  status: TaskStatus;
  input: unknown;
  priority: number;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number | null;
  createdAt: number;
  runAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  result?: unknown;
  /** Last error. */
  error?: string;
  /** Every attempt's error, oldest first. */
  errors?: string[];
  dedupKey: string | null;
  jobId: string | null;
  flowControl?: FlowControl;
  /** While running: the last value the task reported with ctx.progress, and when. */
  progress?: unknown;
  progressAt?: number;
}

/** DELETE /v1/tasks/{id}. */
export interface Canceled {
  id: string;
  status: "canceled";
}
