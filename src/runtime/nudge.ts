/** Called by the enqueue route after new tasks are stored: wake a worker for the queue. */
import type { Env } from "../env";
import { type RuntimeOptions, internalRedis, pushPublisher, runtimeLogger } from "./context";
import { pushRequests } from "./autoscale";
import { systemClock } from "./budget";
import { countNew } from "./publisher";
import { redisPushEpochs } from "./epochs";
import { createTaskQueue } from "../queue/index";

/**
 * Publishes one push for the queue under the current epoch's first dedup id, so that a burst of
 * enqueues before any worker starts collapses into one pending push (see autoscale.ts); the
 * worker it starts scales out if the backlog calls for it. Never throws: it runs in waitUntil after
 * the enqueue was answered, and the cron is the safety net. Returns how many pushes were new.
 */
export async function nudgeWorkers(env: Env, queue: string, options: RuntimeOptions = {}): Promise<number> {
  const log = runtimeLogger(env, options);
  try {
    const redis = internalRedis(env);
    const epochs = redisPushEpochs(redis);
    const [summary, epoch] = await Promise.all([createTaskQueue(redis, {}).getQueue(queue), epochs.current(queue)]);
    if (summary.settings.paused) return 0;
    return countNew(await pushPublisher(env).publish(pushRequests(queue, { epoch, now: (options.clock ?? systemClock).now() }, 1, summary.settings.maxParallel)));
  } catch (error) {
    log.warn("could not nudge workers; the cron will pick the tasks up", { queue, error: String(error) });
    return 0;
  }
}
