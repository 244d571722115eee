/**
 * Completion callbacks on the HTTP side: checked against the allow-list at enqueue (a 400 naming
 * the field), stored before the tasks exist so that no task can end without its callback, and
 * delivered at once for tasks and jobs a request cancels.
 */
import type { Env } from "../env";
import { createCallbackStore, type CallbackTarget, jobCallbackField } from "../queue/callbacks";
import type { JobStore } from "../queue/jobs/index";
import { newTaskId, ValidationError } from "../queue/index";
import type { EnqueueRequest } from "../queue/types";
import { callbackDeps, deliverCallbacksSafely, deliverJobCallback } from "../runtime/index";
import { checkCallback } from "../security/index";
import { httpCipher } from "./encryption";
import { invalidField } from "./problem";
import type { AppContext } from "./types";

/** The callback as stored, or a 400 naming `${field}.url` (or `.headers…`). */
export function checkedCallback(env: Env, given: CallbackTarget, field = "callback"): CallbackTarget {
  try {
    return checkCallback(given, env.EDGEQ_CALLBACK_HOSTS, field);
  } catch (error) {
    if (error instanceof ValidationError) throw invalidField(error.field, error.message.slice(error.field.length + 2));
    throw error;
  }
}

/** Checks each task's callback; tasks that have one get their id now. The field names follow the request's shape. */
export function withCallbacks(
  env: Env,
  requests: EnqueueRequest[],
  callbacks: readonly (CallbackTarget | undefined)[],
  batch: boolean,
): { requests: EnqueueRequest[]; entries: { id: string; target: CallbackTarget }[] } {
  const entries: { id: string; target: CallbackTarget }[] = [];
  const now = Date.now();
  const out = requests.map((request, index) => {
    const given = callbacks[index];
    if (!given) return request;
    const target = checkedCallback(env, given, batch ? `tasks[${index}].callback` : "callback");
    const id = request.id ?? newTaskId(now);
    entries.push({ id, target });
    return { ...request, id };
  });
  return { requests: out, entries };
}

export async function storeCallbacks(c: AppContext, queue: string, entries: readonly { id: string; target: CallbackTarget }[]): Promise<void> {
  await createCallbackStore(c.var.clients.forQueue(queue).redis, { prefix: c.var.clients.prefix }).set(queue, entries);
}

const deps = (c: AppContext, queue: string) => callbackDeps(c.var.clients.forQueue(queue), { tasks: c.var.queue, log: c.var.clients.log, payloads: httpCipher(c.env) });

/** After a cancel: the canceled tasks' callbacks, published now. */
export function deliverForCanceled(c: AppContext, queue: string, ids: readonly string[]): Promise<number> {
  return deliverCallbacksSafely(queue, ids, deps(c, queue));
}

/** A job's callback, stored once the job exists; a job over already (it had no tasks) gets it now. */
export async function storeJobCallback(c: AppContext, queue: string, jobId: string, target: CallbackTarget, jobs: Pick<JobStore, "get">): Promise<void> {
  await createCallbackStore(c.var.clients.forQueue(queue).redis, { prefix: c.var.clients.prefix }).set(queue, [{ id: jobCallbackField(jobId), target }]);
  await deliverForJob(c, queue, jobId, jobs);
}

/** After a job ends outside a worker's fold (canceled by a request). */
export function deliverForJob(c: AppContext, queue: string, jobId: string, jobs: Pick<JobStore, "get">): Promise<number> {
  return deliverJobCallback(queue, jobId, { ...deps(c, queue), jobs }).catch((error: unknown) => {
    c.var.clients.log.warn("could not deliver a job's completion callback", { jobId, queue, error: String(error) });
    return 0;
  });
}
