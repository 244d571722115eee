/** Map-reduce jobs on the wire: POST /v1/jobs, GET /v1/jobs[/{id}]. */
import type { Callback } from "./tasks";

export type JobStatus = "running" | "succeeded" | "failed" | "canceled";

export interface JobRequest {
  fn: string;
  input?: unknown;
  /** The queue of its map tasks (default "default"). */
  queue?: string;
  callback?: Callback;
}

export interface JobStarted {
  id: string;
  /** Map tasks it was split into. */
  total: number;
}

export interface Job {
  id: string;
  fn: string;
  queue: string;
  status: JobStatus;
  total: number;
  /** Map tasks whose result is folded in. */
  done: number;
  /** Map tasks dead or canceled. */
  failed: number;
  maxFailures: number;
  result?: unknown;
  error?: string;
  createdAt: number;
  finishedAt: number | null;
}
