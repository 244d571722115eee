/**
 * The one place where the queue core's typed errors become HTTP answers. Every code has a status,
 * so a new code is a compile error here rather than a silent 500.
 */
import { DatabaseUnavailableError, EdgeqError, ErrorCode, ValidationError } from "../queue/index";
import type { Problem } from "./problem";

const BY_CODE: Record<ErrorCode, Omit<Problem, "detail">> = {
  [ErrorCode.TaskNotFound]: { status: 404, kind: "not-found", title: "Not found" },
  [ErrorCode.QueueNotFound]: { status: 404, kind: "not-found", title: "Not found" },
  [ErrorCode.NotCancelable]: { status: 409, kind: "not-cancelable", title: "Not cancelable" },
  [ErrorCode.NotRunning]: { status: 409, kind: "not-running", title: "Not running" },
  [ErrorCode.LeaseMismatch]: { status: 409, kind: "stale-lease", title: "Stale lease" },
  [ErrorCode.InvalidArgument]: { status: 400, kind: "validation", title: "Invalid request" },
  [ErrorCode.InvalidQueueName]: { status: 400, kind: "validation", title: "Invalid request" },
  [ErrorCode.NotJson]: { status: 400, kind: "validation", title: "Invalid request" },
  [ErrorCode.InputTooLarge]: { status: 413, kind: "input-too-large", title: "Input too large" },
  [ErrorCode.DatabaseUnavailable]: { status: 503, kind: "database-unavailable", title: "Database unavailable" },
  // A script refusing its arguments is our bug, not the caller's.
  [ErrorCode.BadScriptArguments]: { status: 500, kind: "internal", title: "Internal server error" },
};

/** The problem for a queue-core error, or null when `error` is not one. */
export function problemForQueueError(error: unknown): Problem | null {
  if (!(error instanceof EdgeqError)) return null;
  const base = BY_CODE[error.code] ?? BY_CODE[ErrorCode.BadScriptArguments];
  const problem: Problem = { ...base, detail: error.message };
  if (error instanceof ValidationError) problem.errors = [{ field: error.field, message: error.message }];
  if (error instanceof DatabaseUnavailableError) problem.database = error.database;
  return problem;
}

/**
 * The core names fields of an enqueue as `tasks[i].…`; a request that sent one task without the
 * `tasks` wrapper knows that field as plain `input`, `id`, ….
 */
export function asSingleTaskError(error: unknown): unknown {
  if (!(error instanceof ValidationError) || !error.field.startsWith("tasks[0].")) return error;
  const field = error.field.slice("tasks[0].".length);
  return new ValidationError(error.code, field, error.message.slice(error.field.length + 2));
}
