/**
 * Input checks of the queue API. Bad input throws a ValidationError naming the field before any
 * script runs, so a refused batch changes nothing.
 */
import { byteLength, encodeJson, encodeRecord, escapeField, toBase36 } from "./codec";
import { ErrorCode, ValidationError } from "./errors";
import { newTaskId, TASK_ID_PATTERN } from "./ids";
import type { EnqueueRequest } from "./types";

export const QUEUE_NAME_PATTERN = /^[a-z0-9_-]{1,64}$/;
/** Function names end up in the record head: no `|`, tab or newline. */
export const FN_NAME_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;
export const MAX_BATCH = 10_000;
export const MAX_ERROR_CHARS = 4_000;

function invalid(field: string, message: string, code = ErrorCode.InvalidArgument): never {
  throw new ValidationError(code, field, message);
}

export function validateQueueName(name: unknown): string {
  if (typeof name !== "string" || !QUEUE_NAME_PATTERN.test(name)) {
    invalid("queue", `must match ${QUEUE_NAME_PATTERN.source} (lowercase letters, digits, _ and -, 1 to 64 characters)`, ErrorCode.InvalidQueueName);
  }
  return name;
}

export function validateTaskId(id: unknown, field: string): string {
  if (typeof id !== "string" || !TASK_ID_PATTERN.test(id)) invalid(field, `must match ${TASK_ID_PATTERN.source}`);
  return id;
}

function optionalInteger(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    invalid(field, `must be an integer in [${min}, ${max}]`);
  }
  return value;
}

export function checkBatch(items: unknown, field: string): void {
  if (!Array.isArray(items)) invalid(field, "must be an array");
  if (items.length > MAX_BATCH) invalid(field, `at most ${MAX_BATCH} per call (got ${items.length})`);
}

/** A JSON payload within the size limit. */
export function encodePayload(value: unknown, field: string, maxBytes: number): string {
  const json = encodeJson(value, field);
  const size = json.length <= maxBytes / 3 ? json.length : byteLength(json);
  if (size > maxBytes) invalid(field, `is ${size} bytes of JSON; the limit is ${maxBytes}`, ErrorCode.InputTooLarge);
  return json;
}

/** The five enqueue-script arguments of one task (see scripts/enqueue.ts). */
export function packEnqueue(queue: string, task: EnqueueRequest, i: number, now: number, maxInputBytes: number): string[] {
  const at = `tasks[${i}]`;
  if (typeof task !== "object" || task === null) invalid(at, "must be an object");
  if (typeof task.fn !== "string" || !FN_NAME_PATTERN.test(task.fn)) invalid(`${at}.fn`, `must match ${FN_NAME_PATTERN.source}`);
  const given = task.id !== undefined;
  const id = given ? validateTaskId(task.id, `${at}.id`) : newTaskId(now);
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
  const head = [toBase36(now), task.fn, queue, jobId, task.dedupKey === undefined ? "" : escapeField(task.dedupKey)];
  const record = encodeRecord(state, head, input);
  const route = delayed ? `d${runAt}` : priority === 0 ? "" : `p${priority}`;
  return [id, given ? "1" : "", task.dedupKey ?? "", route, record];
}

export function errorText(error: unknown, field: string): string {
  if (typeof error !== "string") invalid(field, "must be a string");
  return JSON.stringify(error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error);
}
