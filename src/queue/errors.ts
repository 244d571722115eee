/**
 * Typed errors of the queue core. Scripts report failures as negative numbers; `ErrorCode` mirrors
 * them one to one (see the header of each script), and `errorFromCode` turns a code into an error.
 * Codes below -100 are raised in TypeScript before any script runs (bad input changes nothing).
 */

export enum ErrorCode {
  /** No task with that id (never existed, or its record expired). */
  TaskNotFound = -1,
  /** The lease token is not the task's current one: the lease expired and was taken over, or is wrong. */
  LeaseMismatch = -2,
  /** The task is not running (complete/fail/extend on a queued or finished task). */
  NotRunning = -3,
  /** Only queued or delayed tasks can be canceled. */
  NotCancelable = -4,
  /** A script received arguments it cannot read: a bug in the caller of the script. */
  BadScriptArguments = -6,

  InvalidArgument = -101,
  InvalidQueueName = -102,
  InputTooLarge = -103,
  NotJson = -104,
  QueueNotFound = -105,
  /** The database holding the queue or task did not answer (several databases: src/runtime/databases.ts). */
  DatabaseUnavailable = -106,
}

/** The base of every error the queue core throws. */
export class EdgeqError extends Error {
  override name = "EdgeqError";
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Bad input, naming the field at fault (e.g. `tasks[3].input`) so the HTTP layer can point at it. */
export class ValidationError extends EdgeqError {
  override name = "ValidationError";
  constructor(
    code: ErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(code, `${field}: ${message}`);
  }
}

export class QueueNotFoundError extends EdgeqError {
  override name = "QueueNotFoundError";
  constructor(readonly queue: string) {
    super(ErrorCode.QueueNotFound, `queue ${queue} does not exist`);
  }
}

/** One database of several is down or unreachable: only what lives on it fails. */
export class DatabaseUnavailableError extends EdgeqError {
  override name = "DatabaseUnavailableError";
  constructor(
    readonly database: string,
    cause: unknown,
  ) {
    super(ErrorCode.DatabaseUnavailable, `database "${database}" is unavailable (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}

const MESSAGES: Record<number, string> = {
  [ErrorCode.TaskNotFound]: "task not found",
  [ErrorCode.LeaseMismatch]: "lease token is stale or wrong",
  [ErrorCode.NotRunning]: "task is not running",
  [ErrorCode.NotCancelable]: "only queued or delayed tasks can be canceled",
  [ErrorCode.BadScriptArguments]: "script arguments could not be read",
};

export function errorFromCode(code: number, context = ""): EdgeqError {
  const known = code in MESSAGES ? (code as ErrorCode) : ErrorCode.BadScriptArguments;
  const message = MESSAGES[code] ?? `unexpected script reply ${code}`;
  return new EdgeqError(known, context ? `${context}: ${message}` : message);
}
