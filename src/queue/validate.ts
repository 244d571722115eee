/**
 * Input checks of the queue API. Bad input throws a ValidationError naming the field before any
 * script runs, so a refused batch changes nothing.
 */
import { byteLength, encodeJson } from "./codec";
import { ErrorCode, ValidationError } from "./errors";
import { splitTaskId, TASK_ID_PATTERN, TASK_REF_PATTERN } from "./ids";

export const QUEUE_NAME_PATTERN = /^[a-z0-9_-]{1,64}$/;
/** Function names end up in the record head: no `|`, tab or newline. */
export const FN_NAME_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;
export const MAX_BATCH = 10_000;
export const MAX_ERROR_CHARS = 4_000;

export function invalid(field: string, message: string, code = ErrorCode.InvalidArgument): never {
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

/** A task id of `queue`, given with its queue (`<queue>~<local>`, ids.ts) or without: its local part. */
export function localTaskId(queue: string, id: unknown, field: string): string {
  const parts = typeof id === "string" ? splitTaskId(id) : null;
  if (!parts) return validateTaskId(id, field);
  if (parts.queue !== queue) invalid(field, `is a task of queue "${parts.queue}", not of "${queue}"`);
  return validateTaskId(parts.local, field);
}

/** Any task id: `<queue>~<local>`, or a local id alone (a task stored before partitions). */
export function validateTaskRef(id: unknown, field: string): string {
  if (typeof id !== "string" || !TASK_REF_PATTERN.test(id)) invalid(field, `must match ${TASK_REF_PATTERN.source}`);
  return id;
}

export function optionalInteger(value: unknown, field: string, min: number, max: number): number | undefined {
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

export function errorText(error: unknown, field: string): string {
  if (typeof error !== "string") invalid(field, "must be a string");
  return JSON.stringify(error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error);
}
