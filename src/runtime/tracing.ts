/**
 * Tracing hooks: where a user points edgeq at their tracer (OpenTelemetry, Sentry, Honeycomb, a
 * log pipeline). Each task attempt calls onTaskStart before the function runs and onTaskEnd after
 * it, with what onTaskStart returned (a span, say). Install one per isolate with setTaskTracer,
 * e.g. in functions/index.ts; without one an attempt pays a single property check.
 */

export interface TaskSpanStart {
  taskId: string;
  queue: string;
  fn: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /** When the task was created (ms since the epoch): startedAt - enqueuedAt is its wait. */
  enqueuedAt: number;
  startedAt: number;
  jobId: string | null;
}

export interface TaskSpanEnd extends TaskSpanStart {
  durationMs: number;
  ok: boolean;
  /** Set when the attempt failed; retryable false sends the task straight to dead. */
  error?: string;
  retryable?: boolean;
}

export interface TaskTracer {
  /** Called as an attempt starts; the value returned comes back as onTaskEnd's second argument. */
  onTaskStart?(task: TaskSpanStart): unknown;
  onTaskEnd?(task: TaskSpanEnd, started: unknown): void;
}

let installed: TaskTracer | undefined;

/** Installs the tracer every worker invocation of this isolate uses (undefined removes it). */
export function setTaskTracer(tracer: TaskTracer | undefined): void {
  installed = tracer;
}

export function taskTracer(): TaskTracer | undefined {
  return installed;
}

/** A tracer that throws must never fail the task it watches. */
export function traceStart(tracer: TaskTracer, task: TaskSpanStart, onError: (error: unknown) => void): unknown {
  try {
    return tracer.onTaskStart?.(task);
  } catch (error) {
    onError(error);
    return undefined;
  }
}

export function traceEnd(tracer: TaskTracer, task: TaskSpanEnd, started: unknown, onError: (error: unknown) => void): void {
  try {
    tracer.onTaskEnd?.(task, started);
  } catch (error) {
    onError(error);
  }
}
