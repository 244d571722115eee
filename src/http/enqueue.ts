/**
 * From validated request bodies to the queue core's EnqueueRequest: checks each task against the
 * function registry up front, so a typo in `fn` or a bad input is a 400 now rather than a dead task later.
 */
import type { EnqueueRequest } from "../queue/types";
import type { FunctionRegistry } from "../runtime/index";
import { type FieldError, ProblemError } from "./problem";
import type { TaskRequestInput } from "./schemas";
import { fieldErrors, fieldPath } from "./validation";
import { functionFlowControl, fromRequest } from "./flow-control";

/** Enough to fix a batch; listing every error of 5,000 bad tasks helps nobody. */
const MAX_REPORTED_ERRORS = 20;

export function toEnqueueRequests(functions: FunctionRegistry, tasks: readonly TaskRequestInput[], batch: boolean): EnqueueRequest[] {
  const errors: FieldError[] = [];
  const requests = tasks.map((task, index) => {
    const prefix = batch ? ["tasks", index] : [];
    const input = task.input ?? null;
    // A job's map step or an internal task cannot be enqueued by name: jobs start at POST /v1/jobs.
    const fn = functions.enqueueable(task.fn);
    if (!fn) {
      errors.push({
        field: fieldPath([...prefix, "fn"]),
        message: `no function named "${task.fn}" (registered: ${functions.names().join(", ")})`,
      });
    } else {
      const parsed = fn.input.safeParse(input);
      if (!parsed.success) errors.push(...fieldErrors(parsed.error, [...prefix, "input"]));
    }
    const request: EnqueueRequest = { fn: task.fn, input };
    if (task.id !== undefined) request.id = task.id;
    if (task.dedupKey !== undefined) request.dedupKey = task.dedupKey;
    if (task.priority !== undefined) request.priority = task.priority;
    if (task.delay !== undefined) request.delayMs = task.delay;
    if (task.runAt !== undefined) request.runAt = task.runAt;
    // The function's own limits apply unless the caller set the task's.
    const maxAttempts = task.maxAttempts ?? fn?.maxAttempts;
    if (maxAttempts !== undefined) request.maxAttempts = maxAttempts;
    const timeoutMs = task.timeout ?? fn?.timeoutMs;
    if (timeoutMs !== undefined) request.timeoutMs = timeoutMs;
    const flowControl = task.flowControl ? fromRequest(task.flowControl) : fn ? functionFlowControl(fn, input, [...prefix, "flowControl"], errors) : undefined;
    if (flowControl) request.flowControl = flowControl;
    return request;
  });
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_REPORTED_ERRORS);
    throw new ProblemError({
      status: 400,
      kind: "validation",
      title: "Invalid request",
      detail: `${shown[0]?.field}: ${shown[0]?.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""}`,
      errors: shown,
    });
  }
  return requests;
}
