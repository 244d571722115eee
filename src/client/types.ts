/** Shapes of the HTTP API (README "HTTP API", GET /openapi.json) as the client sees them. */

export type TaskStatus = "delayed" | "queued" | "running" | "succeeded" | "dead" | "canceled";
export type JobStatus = "running" | "succeeded" | "failed" | "canceled";

/** Seconds, or a duration string such as "10s", "5m", "2h" (as QStash takes them). */
export type Duration = number | string;

export interface TaskInput {
  fn: string;
  input?: unknown;
  id?: string;
  dedupKey?: string;
  priority?: number;
  delay?: Duration;
  maxAttempts?: number;
  timeout?: Duration;
  /** POSTed the final task through QStash when it ends (the host must be in EDGEQ_CALLBACK_HOSTS). */
  callback?: { url: string; headers?: Record<string, string> };
  /** Per-key limits, keys taking turns (README "Flow control"), as QStash's flowControl. */
  flowControl?: { key: string; parallelism?: number; rate?: number; period?: Duration };
}

/** One flow-control key as GET /v1/queues/{queue}/flow/{key} shows it. */
export interface FlowKeyInfo {
  key: string;
  /** Queued, in the round-robin order. */
  waiting: number;
  /** Queued but held back by the key's limits until a slot or token opens. */
  held: number;
  /** Holding a lease that has not expired. */
  running: number;
  /** Claims within the last period (what the rate counts). */
  startedInPeriod: number;
  parallelism: number | null;
  rate: number | null;
  periodMs: number;
}

/** One page of GET /v1/queues/{queue}/flow: the keys busiest first, with the queue's totals. */
export interface FlowInfo {
  queue: string;
  /** Keys with tasks waiting or held. */
  activeKeys: number;
  queued: number;
  held: number;
  /** Keys with tasks waiting, held or running, of which `keys` is one page. */
  total: number;
  offset: number;
  limit: number;
  keys: FlowKeyInfo[];
}

export interface Task {
  id: string;
  queue: string;
  fn: string;
  status: TaskStatus;
  attempts: number;
  maxAttempts?: number;
  input?: unknown;
  result?: unknown;
  error?: string;
  errors?: string[];
  createdAt: number;
  startedAt?: number | null;
  finishedAt?: number | null;
  /** While running: the last value the task reported with ctx.progress, and when. */
  progress?: unknown;
  progressAt?: number;
  [extra: string]: unknown;
}

export interface TaskEvent {
  event: string;
  data: Task;
}

export interface ScheduleInput {
  cron: string;
  fn: string;
  input?: unknown;
  queue?: string;
  id?: string;
  timezone?: string;
  paused?: boolean;
}

export interface Schedule {
  id: string;
  cron: string;
  timezone: string | null;
  fn: string;
  input: unknown;
  queue: string;
  paused: boolean;
  source: "code" | "api";
  createdAt: number;
  nextRunAt: number | null;
  lastRun: { at: number; taskId: string; firedAt: number; error?: string } | null;
}

export interface Job {
  id: string;
  fn: string;
  status: JobStatus;
  total: number;
  done: number;
  failed: number;
  result?: unknown;
  error?: string;
  createdAt?: number;
  finishedAt?: number | null;
  [extra: string]: unknown;
}

export interface JobEvent {
  event: string;
  data: Job;
}

export interface QueueInfo {
  name: string;
  counts: Record<string, number>;
  settings: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface FunctionInfo {
  name: string;
  kind?: string;
  description?: string;
  inputSchema?: unknown;
  [extra: string]: unknown;
}

/** RFC 9457 problem details, as the API answers every error. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
  [extra: string]: unknown;
}
