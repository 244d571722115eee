/** The job store's contract: what the HTTP layer and the runtime's folder program against. */

import type { Job } from "../../wire/index";

export type { JobStatus } from "../../wire/index";

/** A job as stored is what GET /v1/jobs/{id} shows (src/wire/jobs.ts). */
export type JobRecord = Job;

/** What a folder needs besides the record: the input (for finalize) and the accumulator JSON. */
export interface JobState extends JobRecord {
  input: unknown;
  acc: string;
}

export interface NewJob {
  id: string;
  fn: string;
  queue: string;
  input: unknown;
  total: number;
  maxFailures: number;
  /** The initial accumulator, as JSON. */
  acc: string;
  /** A job with no tasks is created finished. */
  finished?: { status: "succeeded" | "failed"; text: string };
}

/** One outbox entry: a job task's success (result JSON) or its failed-counter change. */
export interface JobEvent {
  taskId: string;
  jobId: string;
  failedDelta: number;
  /** The map result as JSON, when the task succeeded. */
  result: string | null;
  /** The entry as stored, for the commit's check that it did not change. */
  raw: string;
}

/** The outcome of one job's share of a fold round. */
export interface JobFoldCommit {
  jobId: string;
  /** New accumulator JSON; null leaves it as it is. */
  acc: string | null;
  doneDelta: number;
  failedDelta: number;
  final: { status: "succeeded" | "failed"; text: string } | null;
}

export interface FoldRound {
  token: string;
  events: JobEvent[];
}
