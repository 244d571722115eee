/** Turns packed records (codec.ts) into the public shapes of types.ts. */
import { decodeJson, decodeRecord, field, fromBase36, leaseTokenOf, RecordField as F, text, unescapeField } from "./codec";
import type { ClaimedTask, TaskRecord, TaskStatus } from "./types";

const STATUS: Record<string, TaskStatus> = {
  q: "queued",
  d: "delayed",
  r: "running",
  s: "succeeded",
  x: "dead",
  c: "canceled",
};

export function statusOf(letter: string): TaskStatus {
  const status = STATUS[letter];
  if (!status) throw new Error(`unknown task state "${letter}" in a record`);
  return status;
}

function optionalNumber(s: string): number | null {
  return s === "" ? null : Number(s);
}

/** null when the record is a finished one past its expiry (upkeep deletes it later). */
export function toTaskRecord(id: string, raw: unknown, defaultMaxAttempts: number, now: number): TaskRecord | null {
  if (raw === null || raw === undefined) return null;
  const { header: h, input, result, errors } = decodeRecord(text(raw));
  const expiresAt = fromBase36(field(h, F.ExpiresAt));
  if (expiresAt !== null && expiresAt <= now) return null;
  const errorList = errors === "" ? undefined : (JSON.parse(errors) as string[]);
  const record: TaskRecord = {
    id,
    queue: field(h, F.Queue),
    fn: field(h, F.Fn),
    status: statusOf(field(h, F.State)),
    input: decodeJson(input),
    priority: Number(field(h, F.Priority) || 0),
    attempts: Number(field(h, F.Attempts)),
    maxAttempts: optionalNumber(field(h, F.MaxAttempts)) ?? defaultMaxAttempts,
    timeoutMs: optionalNumber(field(h, F.TimeoutMs)),
    createdAt: fromBase36(field(h, F.CreatedAt)) ?? 0,
    runAt: fromBase36(field(h, F.RunAt)),
    startedAt: fromBase36(field(h, F.StartedAt)),
    finishedAt: fromBase36(field(h, F.FinishedAt)),
    dedupKey: field(h, F.DedupKey) === "" ? null : unescapeField(field(h, F.DedupKey)),
    jobId: field(h, F.JobId) || null,
  };
  if (result !== "") record.result = decodeJson(result);
  if (errorList && errorList.length > 0) {
    record.errors = errorList;
    record.error = errorList[errorList.length - 1];
  }
  return record;
}

export function toClaimedTask(id: string, raw: unknown, defaultMaxAttempts: number): ClaimedTask {
  const { header: h, input } = decodeRecord(text(raw));
  return {
    id,
    queue: field(h, F.Queue),
    fn: field(h, F.Fn),
    input: decodeJson(input),
    attempt: Number(field(h, F.Attempts)),
    maxAttempts: optionalNumber(field(h, F.MaxAttempts)) ?? defaultMaxAttempts,
    timeoutMs: optionalNumber(field(h, F.TimeoutMs)),
    leaseToken: leaseTokenOf(h),
    leaseUntil: fromBase36(field(h, F.LeaseUntil)) ?? 0,
    enqueuedAt: fromBase36(field(h, F.CreatedAt)) ?? 0,
    jobId: field(h, F.JobId) || null,
  };
}
