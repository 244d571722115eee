/** Job hash fields and outbox entries, to and from what Redis holds. */
import { text } from "../codec";
import type { JobEvent, JobRecord, JobState, JobStatus } from "./types";

export const JOB_FIELDS = [
  "fn", "queue", "status", "total", "done", "failed", "maxFailures", "createdAt", "finishedAt", "result", "error",
] as const;
export const JOB_STATE_FIELDS = [...JOB_FIELDS, "input", "acc"] as const;

const STATUSES: ReadonlySet<string> = new Set(["running", "succeeded", "failed", "canceled"]);

function optional(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

/** A record from HMGET values in JOB_FIELDS order; null when the job does not exist. */
export function toJobRecord(id: string, values: readonly unknown[]): JobRecord | null {
  const v = values.map(optional);
  const [fn, queue, status, total, done, failed, maxFailures, createdAt, finishedAt, result, error] = v;
  if (fn === null || fn === undefined || !status || !STATUSES.has(status)) return null;
  const record: JobRecord = {
    id,
    fn,
    queue: queue ?? "",
    status: status as JobStatus,
    total: Number(total ?? 0),
    done: Number(done ?? 0),
    failed: Number(failed ?? 0),
    maxFailures: Number(maxFailures ?? 0),
    createdAt: Number(createdAt ?? 0),
    finishedAt: finishedAt ? Number(finishedAt) : null,
  };
  if (result) record.result = JSON.parse(result);
  if (error) record.error = error;
  return record;
}

export function toJobState(id: string, values: readonly unknown[]): JobState | null {
  const record = toJobRecord(id, values.slice(0, JOB_FIELDS.length));
  if (!record) return null;
  const input = optional(values[JOB_FIELDS.length]);
  return { ...record, input: input ? JSON.parse(input) : null, acc: optional(values[JOB_FIELDS.length + 1]) ?? "" };
}

/** "<jobId>\n<failed delta>[\n<result JSON>]" (jobs/lua.ts). */
export function parseJobEvent(taskId: string, raw: string): JobEvent {
  const first = raw.indexOf("\n");
  const second = raw.indexOf("\n", first + 1);
  return {
    taskId,
    jobId: raw.slice(0, first),
    failedDelta: Number(second < 0 ? raw.slice(first + 1) : raw.slice(first + 1, second)),
    result: second < 0 ? null : raw.slice(second + 1),
    raw,
  };
}
