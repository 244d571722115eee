/** Called by the enqueue route after new tasks are stored: wake a worker for the queue. */
import type { Env } from "../env";
import { createTaskQueue, type WakeInfo } from "../queue/index";
import { pushRequests, wakeUpRequests } from "./autoscale";
import { systemClock } from "./budget";
import { internalRedis, pushPublisher, type RuntimeOptions, runtimeLogger } from "./context";
import { redisPushEpochs } from "./epochs";
import { countNew } from "./publisher";

export interface NudgeOptions extends RuntimeOptions {
  /** When the delayed tasks just enqueued become due (ms since the epoch): each gets a wake-up. */
  wakeAt?: readonly number[];
  /** Tasks can run now (default true); false when every new task is delayed: only wake-ups then. */
  readyNow?: boolean;
  /** The queue's state as the enqueue script read it (TaskQueue.enqueueAndPeek): no read of its own then. */
  wake?: WakeInfo;
}

/**
 * Publishes one push for the queue under the current epoch's first dedup id, so that a burst of
 * enqueues before any worker starts collapses into one pending push (see autoscale.ts); the
 * worker it starts scales out if the backlog calls for it. Delayed tasks get wake-up pushes for
 * when they become due. Never throws: it runs in waitUntil after the enqueue was answered, and
 * the cron is the safety net. Returns how many pushes were new.
 */
export async function nudgeWorkers(env: Env, queue: string, options: NudgeOptions = {}): Promise<number> {
  const log = runtimeLogger(env, options);
  try {
    const { paused, maxParallel, pushEpoch: epoch } = options.wake ?? (await readWakeInfo(env, queue));
    if (paused) return 0;
    const now = (options.clock ?? systemClock).now();
    const later = (options.wakeAt ?? []).filter((time) => time > now);
    const readyNow = options.readyNow ?? true;
    const wanted = [...pushRequests(queue, { epoch, now }, readyNow ? 1 : 0, maxParallel), ...wakeUpRequests(queue, later, maxParallel)];
    const scope = `${env.QSTASH_URL}|${env.EDGEQ_PUBLIC_URL}|`;
    const pushes = wanted.filter((push) => !recentlyPublished(scope + push.deduplicationId, now));
    if (pushes.length === 0) return 0;
    const marks = pushes.map((push) => scope + push.deduplicationId);
    for (const mark of marks) published.set(mark, now + REMEMBER_MS);
    try {
      return countNew(await pushPublisher(env).publish(pushes));
    } catch (error) {
      for (const mark of marks) published.delete(mark);
      throw error;
    }
  } catch (error) {
    log.warn("could not nudge workers; the cron will pick the tasks up", { queue, error: String(error) });
    return 0;
  }
}

/**
 * Dedup ids this isolate published lately. A busy queue's enqueues all want the push of the same
 * epoch, which QStash would drop as a copy: not sending it saves the message and a round trip. The
 * id names the minute, so an id is wanted again within a minute at most.
 */
const published = new Map<string, number>();
const REMEMBER_MS = 60_000;
const MAX_REMEMBERED = 1_000;

function recentlyPublished(mark: string, now: number): boolean {
  const until = published.get(mark);
  if (until !== undefined && until > now) return true;
  if (published.size >= MAX_REMEMBERED) {
    for (const [key, expiry] of published) if (expiry <= now) published.delete(key);
    if (published.size >= MAX_REMEMBERED) published.clear();
  }
  return false;
}

async function readWakeInfo(env: Env, queue: string): Promise<WakeInfo> {
  const redis = internalRedis(env);
  const [summary, pushEpoch] = await Promise.all([createTaskQueue(redis, {}).getQueue(queue), redisPushEpochs(redis).current(queue)]);
  return { paused: summary.settings.paused, maxParallel: summary.settings.maxParallel, pushEpoch };
}
