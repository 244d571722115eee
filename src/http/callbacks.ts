/**
 * Completion callbacks on the HTTP side: checked against the allow-list at enqueue (a 400 naming
 * the field), stored before the tasks exist so that no task can end without its callback, and
 * delivered at once for tasks a request cancels.
 */
import type { Env } from "../env";
import { createCallbackStore, type CallbackTarget } from "../queue/callbacks";
import { newTaskId, ValidationError } from "../queue/index";
import type { EnqueueRequest, TaskQueue } from "../queue/types";
import { callbackDeps, internalRedis, runtimeLogger } from "../runtime/context";
import { deliverCallbacksSafely } from "../runtime/callbacks";
import { checkCallback } from "../security/callback-hosts";
import { httpCipher } from "./payloads";
import { invalidField } from "./problem";

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
    let target: CallbackTarget;
    try {
      target = checkCallback(given, env.EDGEQ_CALLBACK_HOSTS, batch ? `tasks[${index}].callback` : "callback");
    } catch (error) {
      if (error instanceof ValidationError) throw invalidField(error.field, error.message.slice(error.field.length + 2));
      throw error;
    }
    const id = request.id ?? newTaskId(now);
    entries.push({ id, target });
    return { ...request, id };
  });
  return { requests: out, entries };
}

export async function storeCallbacks(env: Env, queue: string, entries: readonly { id: string; target: CallbackTarget }[]): Promise<void> {
  await createCallbackStore(internalRedis(env)).set(queue, entries);
}

/** After a cancel: the canceled tasks' callbacks, published now. */
export function deliverForCanceled(env: Env, queue: string, ids: readonly string[], tasks: Pick<TaskQueue, "getMany">): Promise<number> {
  return deliverCallbacksSafely(queue, ids, callbackDeps(env, { tasks, log: runtimeLogger(env), payloads: httpCipher(env) }));
}
