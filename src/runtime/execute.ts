/**
 * Runs one claimed task: finds its function, checks the input against the function's schema, and
 * runs it under a timeout. Never rejects: every way a task can end is an outcome, so one bad task
 * cannot sink the batch it came in.
 */
import { z } from "zod";
import { DEFAULT_MAX_INPUT_BYTES } from "../queue/index";
import type { BlobStore } from "../blobs/index";
import type { ClaimedTask } from "../queue/types";
import type { Clock } from "./budget";
import { AttemptContext } from "./attempt";
import { PermanentError } from "./function";
import type { Logger } from "./logger";
import type { FunctionRegistry } from "./registry";
import { traceEnd, traceStart, type TaskSpanEnd, type TaskSpanStart, type TaskTracer } from "./tracing";

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
  /**
   * Receives a function that stops the attempt early with a reason (e.g. its lease was lost and
   * someone else may be running the task now). A plain callback: EventTarget listeners cost more
   * than the rest of a no-op task.
   */
  abortHandle?: (abort: (reason: string) => void) => void;
  /** The queue core refuses larger results (and with them the whole batch), so check here. */
  maxResultBytes?: number;
  /** Hooks around each attempt (tracing.ts). */
  tracer?: TaskTracer;
  /** Where this task's ctx.progress goes (the batch's coalescing reporter). */
  reportProgress?: (value: unknown) => void;
  /** What functions see as ctx.blobs (the BLOBS bucket). */
  blobs?: BlobStore;
}

/** Error text is stored with the task and shown in dead-letter lists: keep it readable and bounded. */
const MAX_ERROR_LENGTH = 2_000;

export async function executeTask(task: ClaimedTask, options: ExecuteOptions): Promise<TaskOutcome> {
  const started = options.clock.now();
  const ctx = new AttemptContext(task.id, task.queue, task.attempt, task.fn, options.log, options.reportProgress, options.blobs);
  const tracer = options.tracer;
  const span = tracer ? startSpan(tracer, task, started, ctx) : undefined;
  const end = (verdict: Verdict): TaskOutcome => {
    const durationMs = options.clock.now() - started;
    if (!verdict.ok) ctx.log.warn("task failed", { durationMs, error: verdict.error, retryable: verdict.retryable });
    else if (options.log.enabled("debug")) ctx.log.debug("task succeeded", { durationMs });
    if (tracer) endSpan(tracer, task, started, span, verdict, durationMs, ctx);
    return { ...verdict, durationMs };
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

  const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_INPUT_BYTES;
  let returned: unknown;
  try {
    returned = fn.run(parsed.data, ctx);
  } catch (error) {
    return end(thrown(error, ctx));
  }
  // A synchronous function has finished already (no timer could have fired while it ran).
  if (!isThenable(returned)) return end(storable(returned, maxResultBytes));

  const timeoutMs = Math.min(task.timeoutMs ?? fn.timeoutMs ?? options.defaultTimeoutMs, options.maxTimeoutMs);
  let stop: (reason: string) => void = () => {};
  // The race lets a function that ignores its signal still be timed out; it may run on unobserved.
  const stopped = new Promise<never>((_, reject) => (stop = (reason) => reject(ctx.abort(reason))));
  const timer = setTimeout(() => stop(`timed out after ${timeoutMs} ms`), timeoutMs);
  options.abortHandle?.(stop);
  try {
    return end(storable(await Promise.race([returned, stopped]), maxResultBytes));
  } catch (error) {
    return end(thrown(error, ctx));
  } finally {
    clearTimeout(timer);
  }
}

function spanOf(task: ClaimedTask, startedAt: number): TaskSpanStart {
  const { id: taskId, queue, fn, attempt, maxAttempts, enqueuedAt, jobId } = task;
  return { taskId, queue, fn, attempt, maxAttempts, enqueuedAt, startedAt, jobId };
}

function startSpan(tracer: TaskTracer, task: ClaimedTask, startedAt: number, ctx: AttemptContext): unknown {
  return traceStart(tracer, spanOf(task, startedAt), (error) => ctx.log.warn("tracer onTaskStart threw", { error }));
}

function endSpan(tracer: TaskTracer, task: ClaimedTask, startedAt: number, span: unknown, verdict: Verdict, durationMs: number, ctx: AttemptContext): void {
  const end: TaskSpanEnd = { ...spanOf(task, startedAt), durationMs, ok: verdict.ok };
  if (!verdict.ok) Object.assign(end, { error: verdict.error, retryable: verdict.retryable });
  traceEnd(tracer, end, span, (error) => ctx.log.warn("tracer onTaskEnd threw", { error }));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function thrown(error: unknown, ctx: AttemptContext): Verdict {
  // A function that rethrows the signal's reason, or throws its own AbortError, still timed out.
  if (ctx.abortedBy) return { ok: false, retryable: true, error: ctx.abortedBy.message };
  return { ok: false, retryable: !(error instanceof PermanentError), error: describe(error) };
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

function describe(error: unknown): string {
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
