/** Packs a new task into its record (codec.ts), and turns packed records into the public shapes of types.ts. */
import {
  decodeJson, decodeRecord, encodeRecord, escapeField, field, fromBase36, HeadField as H, leaseTokenOf, StateField as S, text, toBase36, unescapeField,
} from "./codec";
import { packFlowControl, unpackFlowControl, validateFlowControl } from "./flow/control";
import { newTaskId, partitionOf } from "./ids";
import type { ClaimedTask, EnqueueRequest, TaskRecord, TaskStatus } from "./types";
import { encodePayload, FN_NAME_PATTERN, invalid, localTaskId, optionalInteger, validateTaskId } from "./validate";

/** The five enqueue-script arguments of one task (see scripts/enqueue.ts), then its partition. */
export function packEnqueue(queue: string, task: EnqueueRequest, i: number, now: number, maxInputBytes: number): string[] {
  const at = `tasks[${i}]`;
  if (typeof task !== "object" || task === null) invalid(at, "must be an object");
  if (typeof task.fn !== "string" || !FN_NAME_PATTERN.test(task.fn)) invalid(`${at}.fn`, `must match ${FN_NAME_PATTERN.source}`);
  const given = task.id !== undefined;
  const id = given ? localTaskId(queue, task.id, `${at}.id`) : newTaskId(now);
  const priority = optionalInteger(task.priority, `${at}.priority`, -1000, 1000) ?? 0;
  const delayMs = optionalInteger(task.delayMs, `${at}.delayMs`, 0, 365 * 86_400_000);
  const runAtGiven = optionalInteger(task.runAt, `${at}.runAt`, 0, 8.64e15);
  if (delayMs !== undefined && runAtGiven !== undefined) invalid(`${at}.runAt`, "give delayMs or runAt, not both");
  const maxAttempts = optionalInteger(task.maxAttempts, `${at}.maxAttempts`, 1, 1000);
  const timeoutMs = optionalInteger(task.timeoutMs, `${at}.timeoutMs`, 1, 24 * 3_600_000);
  if (task.dedupKey !== undefined && (typeof task.dedupKey !== "string" || task.dedupKey.length < 1 || task.dedupKey.length > 512)) {
    invalid(`${at}.dedupKey`, "must be a string of 1 to 512 characters");
  }
  const jobId = task.jobId === undefined ? "" : validateTaskId(task.jobId, `${at}.jobId`);
  const input = encodePayload(task.input, `${at}.input`, maxInputBytes);
  const runAt = runAtGiven ?? (delayMs ? now + delayMs : 0);
  const delayed = runAt > now;
  const state = [
    delayed ? "d" : "q", "0",
    priority === 0 ? "" : String(priority),
    timeoutMs === undefined ? "" : String(timeoutMs),
    maxAttempts === undefined ? "" : String(maxAttempts),
    delayed ? toBase36(runAt) : "",
  ];
  const flow = task.flowControl === undefined ? "" : packFlowControl(validateFlowControl(task.flowControl, `${at}.flowControl`));
  const head = [toBase36(now), task.fn, queue, jobId, task.dedupKey === undefined ? "" : escapeField(task.dedupKey), flow];
  const record = encodeRecord(state, head, input);
  // a delayed task's member carries its priority, so that promotion reads no record
  const route = delayed ? `d${runAt}${priority === 0 ? "" : `|${priority}`}` : priority === 0 ? "" : `p${priority}`;
  return [id, given ? "1" : "", task.dedupKey ?? "", route, record, partitionOf(id)];
}

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

/**
 * A delayed task is queued once its time has come: promotion moves it to the ready structures
 * without rewriting its record (scripts/pieces/transitions.ts), so the record says "d" until claimed.
 */
function shownStatus(letter: string, runAt: number | null, now: number): TaskStatus {
  return letter === "d" && runAt !== null && runAt <= now ? "queued" : statusOf(letter);
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
    status: shownStatus(field(st, S.State), fromBase36(field(st, S.RunAt)), now),
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
  const flow = unpackFlowControl(field(head, H.Flow));
  if (flow) record.flowControl = flow;
  if (result !== "") record.result = decodeJson(result);
  if (errorList && errorList.length > 0) {
    record.errors = errorList;
    record.error = errorList[errorList.length - 1];
  }
  return record;
}

/** A claimed record's priority (its state's third field; "" is 0). */
export function priorityOf(raw: unknown): number {
  const state = text(raw);
  return Number(state.slice(0, state.indexOf("\t")).split("|")[S.Priority]) || 0;
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
