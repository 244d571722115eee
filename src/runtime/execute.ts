/**
 * Runs one claimed task: finds its function, checks the input against the function's schema, and
 * runs it under a timeout. Never rejects: every way a task can end is an outcome, so one bad task
 * cannot sink the batch it came in.
 */
import { z } from "zod";
import { DEFAULT_MAX_INPUT_BYTES } from "../queue/index";
import type { ClaimedTask } from "../queue/types";
import type { Clock } from "./budget";
import { PermanentError } from "./function";
import type { Logger } from "./logger";
import type { FunctionRegistry } from "./registry";

/** How an attempt ended; `retryable: false` sends the task straight to dead. */
export type Verdict = { ok: true; result: unknown } | { ok: false; error: string; retryable: boolean };
export type TaskOutcome = Verdict & { durationMs: number };

export interface ExecuteOptions {
  functions: Pick<FunctionRegistry, "task" | "names">;
  /** Used when neither the task nor its function sets a timeout. */
  defaultTimeoutMs: number;
  /** Upper bound for this attempt, e.g. the time left before the invocation's hard limit. */
  maxTimeoutMs: number;
  clock: Clock;
  log: Logger;
  /** Fires when the lease could not be kept: someone else may be running the task now. */
  leaseLost?: AbortSignal;
  /** The queue core refuses larger results (and with them the whole batch), so check here. */
  maxResultBytes?: number;
}

/** Error text is stored with the task and shown in dead-letter lists: keep it readable and bounded. */
const MAX_ERROR_LENGTH = 2_000;

export async function executeTask(task: ClaimedTask, options: ExecuteOptions): Promise<TaskOutcome> {
  const started = options.clock.now();
  const log = options.log.child({ taskId: task.id, queue: task.queue, fn: task.fn, attempt: task.attempt });
  const end = (outcome: Verdict): TaskOutcome => {
    const durationMs = options.clock.now() - started;
    if (outcome.ok) log.debug("task succeeded", { durationMs });
    else log.warn("task failed", { durationMs, error: outcome.error, retryable: outcome.retryable });
    return { ...outcome, durationMs };
  };

  const fn = options.functions.task(task.fn);
  if (!fn) {
    const known = options.functions.names().join(", ");
    return end({ ok: false, retryable: false, error: `unknown function "${task.fn}" (registered: ${known})` });
  }
  const parsed = fn.input.safeParse(task.input);
  if (!parsed.success) {
    const why = z.prettifyError(parsed.error);
    return end({ ok: false, retryable: false, error: bounded(`invalid input for "${task.fn}": ${why}`) });
  }

  const timeoutMs = Math.min(task.timeoutMs ?? fn.timeoutMs ?? options.defaultTimeoutMs, options.maxTimeoutMs);
  const attempt = new AbortController();
  const abortWith = (reason: string) => attempt.abort(new AttemptAborted(reason));
  const timer = setTimeout(() => abortWith(`timed out after ${timeoutMs} ms`), timeoutMs);
  const onLeaseLost = () => abortWith("lease lost: the task may be running elsewhere");
  options.leaseLost?.addEventListener("abort", onLeaseLost, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    attempt.signal.addEventListener("abort", () => reject(attempt.signal.reason), { once: true });
  });
  try {
    const ctx = { taskId: task.id, queue: task.queue, attempt: task.attempt, signal: attempt.signal, log };
    // The race lets a function that ignores its signal still be timed out; it may run on unobserved.
    const result = await Promise.race([Promise.resolve().then(() => fn.run(parsed.data, ctx)), aborted]);
    return end(storable(result, options.maxResultBytes ?? DEFAULT_MAX_INPUT_BYTES));
  } catch (error) {
    return end({ ok: false, retryable: !(error instanceof PermanentError), error: describe(error, attempt.signal) });
  } finally {
    clearTimeout(timer);
    options.leaseLost?.removeEventListener("abort", onLeaseLost);
  }
}

class AttemptAborted extends Error {
  override readonly name = "AttemptAborted";
}

/**
 * Results are stored as JSON: `undefined` becomes null; what JSON cannot hold, or what is over the
 * size limit, would fail again on every attempt, so it is not retried.
 */
function storable(result: unknown, maxBytes: number): Verdict {
  if (result === undefined) return { ok: true, result: null };
  let json: string;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    return { ok: false, retryable: false, error: `result is not JSON-serializable: ${describe(error)}` };
  }
  // A UTF-8 byte is at most 3 per UTF-16 unit: only long texts need counting.
  const bytes = json.length * 3 <= maxBytes ? json.length : new TextEncoder().encode(json).length;
  if (bytes > maxBytes) return { ok: false, retryable: false, error: `result is ${bytes} bytes of JSON; the limit is ${maxBytes}` };
  return { ok: true, result };
}

function describe(error: unknown, signal?: AbortSignal): string {
  // A function that rethrows the signal's reason, or throws its own AbortError, still timed out.
  if (signal?.aborted && signal.reason instanceof AttemptAborted) return signal.reason.message;
  if (error instanceof Error) return bounded(error.name === "Error" ? error.message : `${error.name}: ${error.message}`);
  return bounded(typeof error === "string" ? error : safeJson(error));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function bounded(text: string): string {
  return text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}
