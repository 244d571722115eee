/** Turns packed records (codec.ts) into the public shapes of types.ts. */
import { decodeJson, decodeRecord, field, fromBase36, HeadField as H, leaseTokenOf, StateField as S, text, unescapeField } from "./codec";
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
  const { state: st, head, input, result, errors } = decodeRecord(text(raw));
  const expiresAt = fromBase36(field(st, S.ExpiresAt));
  if (expiresAt !== null && expiresAt <= now) return null;
  const errorList = errors === "" ? undefined : (JSON.parse(errors) as string[]);
  const record: TaskRecord = {
    id,
    queue: field(head, H.Queue),
    fn: field(head, H.Fn),
    status: statusOf(field(st, S.State)),
    input: decodeJson(input),
    priority: Number(field(st, S.Priority) || 0),
    attempts: Number(field(st, S.Attempts)),
    maxAttempts: optionalNumber(field(st, S.MaxAttempts)) ?? defaultMaxAttempts,
    timeoutMs: optionalNumber(field(st, S.TimeoutMs)),
    createdAt: fromBase36(field(head, H.CreatedAt)) ?? 0,
    runAt: fromBase36(field(st, S.RunAt)),
    startedAt: fromBase36(field(st, S.StartedAt)),
    finishedAt: fromBase36(field(st, S.FinishedAt)),
    dedupKey: field(head, H.DedupKey) === "" ? null : unescapeField(field(head, H.DedupKey)),
    jobId: field(head, H.JobId) || null,
  };
  if (result !== "") record.result = decodeJson(result);
  if (errorList && errorList.length > 0) {
    record.errors = errorList;
    record.error = errorList[errorList.length - 1];
  }
  return record;
}

export function toClaimedTask(id: string, raw: unknown, defaultMaxAttempts: number): ClaimedTask {
  const { state: st, head, input } = decodeRecord(text(raw));
  return {
    id,
    queue: field(head, H.Queue),
    fn: field(head, H.Fn),
    input: decodeJson(input),
    attempt: Number(field(st, S.Attempts)),
    maxAttempts: optionalNumber(field(st, S.MaxAttempts)) ?? defaultMaxAttempts,
    timeoutMs: optionalNumber(field(st, S.TimeoutMs)),
    leaseToken: leaseTokenOf(st),
    leaseUntil: fromBase36(field(st, S.LeaseUntil)) ?? 0,
    enqueuedAt: fromBase36(field(head, H.CreatedAt)) ?? 0,
    jobId: field(head, H.JobId) || null,
  };
}
