/** The push an enqueue publishes after new tasks are stored, so that a worker starts for the queue. */
import { type PushInfo } from "../queue/index";
import type { TaskQueue } from "../queue/types";
import { type PushRequest, pushRequests, delayedPushRequests } from "./autoscale";
import { type Clock, systemClock } from "./budget";
import type { PushEpochs } from "./epochs";
import type { Logger } from "./logger";
import { countNew, type PushPublisher } from "./publisher";

/** What the enqueue push uses: the queue's state (when the enqueue did not read it), the publisher, a log. */
export interface EnqueuePushDeps {
  tasks: Pick<TaskQueue, "getQueue">;
  epochs: Pick<PushEpochs, "current">;
  publisher: PushPublisher;
  log: Logger;
}

export interface EnqueuePushOptions {
  /** When the delayed tasks just enqueued become due (ms since the epoch): each gets a delayed push. */
  dueAt?: readonly number[];
  /** The queue's state as the enqueue script read it (TaskQueue.enqueueAndPeek): no read of its own then. */
  pushInfo?: PushInfo;
  /** Tasks can run now (default true); false when every new task is delayed: delayed pushes only. */
  readyNow?: boolean;
  clock?: Clock;
}

/**
 * Publishes one push for the queue under the current epoch's first dedup id, so that a burst of
 * enqueues before any worker starts collapses into one pending push (see autoscale.ts); the
 * worker it starts publishes more if the backlog calls for it. Delayed tasks get delayed pushes for
 * when they become due. Never throws: it runs in waitUntil after the enqueue was answered, and
 * the cron is the safety net. Returns how many pushes were new.
 */
export async function publishEnqueuePush(deps: EnqueuePushDeps, queue: string, options: EnqueuePushOptions = {}): Promise<number> {
  try {
    const { paused, maxParallel, pushEpoch: epoch, live } = options.pushInfo ?? (await readPushInfo(deps, queue));
    if (paused) return 0;
    const now = (options.clock ?? systemClock).now();
    const later = (options.dueAt ?? []).filter((time) => time > now);
    // a live invocation claims again before its mark lapses (queue/scripts/pieces/live.ts)
    const readyNow = (options.readyNow ?? true) && !live;
    const wanted = [...pushRequests(queue, { epoch, now }, readyNow ? 1 : 0, maxParallel), ...delayedPushRequests(queue, later, maxParallel)];
    return await publishUnlessRecent(deps.publisher, wanted, now);
  } catch (error) {
    deps.log.warn("could not publish the enqueue push; the cron will pick the tasks up", { queue, error: String(error) });
    return 0;
  }
}

/**
 * Dedup ids this isolate published lately, per destination. A busy queue's enqueues all want the
 * push of the same epoch, which QStash would drop as a copy: not sending it saves the message and a
 * round trip. The id names the minute, so an id is wanted again within a minute at most.
 */
const published = new Map<string, number>();
const REMEMBER_MS = 60_000;
const MAX_REMEMBERED = 1_000;

/** Publishes those of `wanted` this isolate did not publish lately; how many QStash took as new. Throws as the publisher does. */
export async function publishUnlessRecent(publisher: PushPublisher, wanted: PushRequest[], now: number): Promise<number> {
  const pushes = wanted.filter((push) => !recentlyPublished(publisher, push.deduplicationId, now));
  if (pushes.length === 0) return 0;
  const marks = publisher.destination === undefined ? [] : pushes.map((push) => markOf(publisher, push.deduplicationId));
  for (const mark of marks) published.set(mark, now + REMEMBER_MS);
  try {
    return countNew(await publisher.publish(pushes));
  } catch (error) {
    for (const mark of marks) published.delete(mark);
    throw error;
  }
}

function markOf(publisher: PushPublisher, deduplicationId: string): string {
  return `${publisher.destination}|${deduplicationId}`;
}

function recentlyPublished(publisher: PushPublisher, deduplicationId: string, now: number): boolean {
  if (publisher.destination === undefined) return false;
  const until = published.get(markOf(publisher, deduplicationId));
  if (until !== undefined && until > now) return true;
  if (published.size >= MAX_REMEMBERED) {
    for (const [key, expiry] of published) if (expiry <= now) published.delete(key);
    if (published.size >= MAX_REMEMBERED) published.clear();
  }
  return false;
}

async function readPushInfo(deps: EnqueuePushDeps, queue: string): Promise<PushInfo> {
  const [summary, pushEpoch] = await Promise.all([deps.tasks.getQueue(queue), deps.epochs.current(queue)]);
  return { paused: summary.settings.paused, maxParallel: summary.settings.maxParallel, pushEpoch, live: false };
}
