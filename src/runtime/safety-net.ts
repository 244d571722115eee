/**
 * [inline, issue 11] The inline start's safety net (inline-start.ts): beside each inline run, a
 * delayed push for the next NET_GRID_MS mark at least NET_DELAY_MS away, id `<queue>.net.<second>`,
 * so that every inline start of a queue within one grid step shares one message (this isolate sends
 * it once; QStash drops other isolates' copies). If the run's isolate died, the net's delivery is
 * the push that was never needed: it claims what the run left unclaimed, and brings back (upkeep)
 * or asks a lease-check push for what it had claimed. If it lived, the net finds the queue drained
 * (one start script) or live.
 *
 * A live queue's net is put off, not run: while the live mark stands an invocation promises
 * another claim, and a second drainer beside it would split its claims (more claims, more commands
 * a task). The mark may be a dead run's, which nothing clears before its time, so the net is
 * published again for just after the mark's end: one read and, while the queue stays busy, one
 * message per mark's length (2.5–5 s, queue/scripts/pieces/live.ts), until a delivery finds the
 * queue idle and runs.
 */
import type { PushRequest } from "./autoscale";
import type { Clock } from "./budget";
import { publishUnlessRecent } from "./enqueue-push";
import type { PushEpochs } from "./epochs";
import type { Logger } from "./logger";
import type { PushPublisher } from "./publisher";

/**
 * The net fires at least this long after an inline start: past the run of a short task on an
 * isolate that lives (its delivery then finds nothing to do), well before the minute's cron.
 */
export const NET_DELAY_MS = 2_000;
/** Nets fall on this grid: a queue busy with inline starts costs one net message per step at most. */
export const NET_GRID_MS = 5_000;

/** When the net of an inline start at `now` fires: NET_DELAY_MS to NET_DELAY_MS + NET_GRID_MS later. */
export function safetyNetAt(now: number): number {
  return Math.ceil((now + NET_DELAY_MS) / NET_GRID_MS) * NET_GRID_MS;
}

/** The net as a delayed push for `at` (rounded up to its second), under the queue's flow control. */
export function safetyNetPush(queue: string, at: number, parallelism: number): PushRequest {
  const second = Math.ceil(at / 1_000);
  return { queue, deduplicationId: `${queue}.net.${second}`, parallelism: Math.max(1, parallelism), notBefore: second, net: true };
}

export interface NetDeps {
  publisher: PushPublisher;
  log: Logger;
}

/** Publishes the net of an inline start made at `now`. Never throws: it runs in waitUntil. */
export async function publishSafetyNet(deps: NetDeps, queue: string, parallelism: number, now: number): Promise<void> {
  try {
    await publishUnlessRecent(deps.publisher, [safetyNetPush(queue, safetyNetAt(now), parallelism)], now);
  } catch (error) {
    deps.log.warn("could not publish the inline start's safety net; a dead run's tasks wait for the next push or the cron", { queue, error: String(error) });
  }
}

/**
 * What a delivered net does first: true when the queue is live and the net was published again
 * for after the mark's end (the delivery then does nothing more). Throws when Redis or QStash
 * cannot be reached, so that QStash delivers the net again.
 */
export async function deferredWhileLive(deps: NetDeps & { epochs: Pick<PushEpochs, "liveUntil">; clock: Clock }, queue: string, parallelism: number): Promise<boolean> {
  const until = await deps.epochs.liveUntil(queue);
  if (until === null || until <= deps.clock.now()) return false;
  await deps.publisher.publish([safetyNetPush(queue, until + 1_000, parallelism)]);
  return true;
}
