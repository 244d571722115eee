/**
 * A task's flowControl, from its request (`period` in the API's duration form) or, when the request
 * has none, from its function's `flowControl(input)` (defineFunction), checked as a request's would be.
 */
import { ValidationError, type FlowControl } from "../queue/index";
import { validateFlowControl } from "../queue/flow/control";
import type { TaskFunction } from "../runtime/index";
import type { FieldError } from "./problem";
import type { TaskRequestInput } from "./schemas";
import { fieldPath } from "./validation";

export function fromRequest(flow: NonNullable<TaskRequestInput["flowControl"]>): FlowControl {
  const { period, ...rest } = flow;
  return period === undefined ? rest : { ...rest, periodMs: period };
}

/** The function's flow control for this input, or undefined; a bad one becomes a field error of the request. */
export function functionFlowControl(fn: TaskFunction, input: unknown, path: (string | number)[], errors: FieldError[]): FlowControl | undefined {
  if (!fn.flowControl) return undefined;
  try {
    const flow = fn.flowControl(input);
    return flow === undefined ? undefined : validateFlowControl(flow, fieldPath(path));
  } catch (error) {
    const message = error instanceof ValidationError ? error.message : `the function's flowControl failed: ${(error as Error).message}`;
    errors.push({ field: fieldPath(path), message });
    return undefined;
  }
}
