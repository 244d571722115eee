/** The QStash push target's work: src/http verifies the signature, then hands the message here. */
import type { Env } from "../env";
import type { ReplayMark } from "../queue/types";
import { createBudget } from "./budget";
import { PUSH_BUDGET, type RuntimeOptions, runtimeFromEnv } from "./runtime";
import { ReplayedDeliveryError, runInvocation } from "./invocation";
import { takeReplayMark } from "../security/index";
import { deferredWhileLive } from "./safety-net";
import type { BatchReport, PushMessage } from "./types";

/**
 * Drains `message.queue` within the push budget and publishes follow-up pushes while backlog
 * remains. Throws when Redis cannot be reached: QStash then retries the delivery, and leases of
 * anything claimed run out and are reclaimed. `replayMark`: the delivery's mark, set by the
 * invocation's first script; ReplayedDeliveryError when it was set already (nothing was done).
 * A fold push (`message.fold`) folds the queue's job results instead (jobs/fold-push.ts).
 */
export async function handlePush(env: Env, message: PushMessage, options: RuntimeOptions, replayMark?: ReplayMark): Promise<BatchReport> {
  // The queue's work runs on the database that holds it (one database: the same runtime).
  const runtime = runtimeFromEnv(env, options).forQueue(message.queue);
  if (message.fold) {
    // It claims nothing, so no start script sets the mark: set here, in a request of its own.
    if (replayMark && !(await takeReplayMark(runtime.clients.redis, replayMark))) throw new ReplayedDeliveryError(message.queue);
    return runtime.foldFromPush(message.queue);
  }
  // an inline start's safety net: put off while an invocation holds the queue (safety-net.ts)
  if (message.net && (await deferredWhileLive(runtime, message.queue, message.net.parallelism))) {
    return { queue: message.queue, claimed: 0, succeeded: 0, retrying: 0, dead: 0, stale: 0, published: 1, durationMs: 0 };
  }
  return runInvocation(message.queue, createBudget(options.budget ?? PUSH_BUDGET, runtime.clock), runtime, replayMark);
}

export { ReplayedDeliveryError };
