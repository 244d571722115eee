/**
 * What a user imports to write a task function in functions/: `defineFunction` keeps the input type
 * flowing from the zod schema into `run`, and the two errors say how a failure should be treated.
 */
import type { TaskFunction } from "./types";

/** Names become part of task records and URLs, so they follow the queue-name alphabet plus dots. */
export const FUNCTION_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function defineFunction<Input, Output>(def: TaskFunction<Input, Output>): TaskFunction<Input, Output> {
  if (!FUNCTION_NAME.test(def.name)) {
    throw new TypeError(`function name "${def.name}" must match ${FUNCTION_NAME} (lowercase letters, digits, _ . -)`);
  }
  if (def.maxAttempts !== undefined && !(Number.isInteger(def.maxAttempts) && def.maxAttempts >= 1)) {
    throw new TypeError(`function "${def.name}": maxAttempts must be an integer >= 1, got ${def.maxAttempts}`);
  }
  if (def.timeoutMs !== undefined && !(Number.isFinite(def.timeoutMs) && def.timeoutMs > 0)) {
    throw new TypeError(`function "${def.name}": timeoutMs must be a positive number, got ${def.timeoutMs}`);
  }
  return def;
}

/**
 * Throw this from `run` when another attempt cannot help (the input is valid for the schema but
 * meaningless, a resource is gone for good): the task goes straight to dead instead of retrying.
 */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
}

/**
 * Lets a long CPU-bound loop be stopped: timers (and so the timeout's abort) cannot fire while a
 * loop runs synchronously, so call this every few milliseconds of work. Throws once aborted.
 */
export async function checkpoint(signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  signal.throwIfAborted();
}
