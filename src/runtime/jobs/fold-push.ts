/**
 * Fold pushes: delayed pushes that start a worker only to fold a queue's outbox, so that what a
 * folder left when it died (results it settled and never folded, or a round whose lease it held)
 * is folded by pushes alone, within a lease or two, and not left to the cron.
 *
 * Before an invocation settles a batch holding job tasks, it makes sure a fold push is on its way
 * for after a fold lease from then: any fold round taken from that settle on either commits or
 * has run out of lease by the time the push comes. One push per queue and slot (a third of a
 * lease), with the dedup id `<queue>.fold.<second>` shared by every invocation of the slot and
 * remembered per isolate: a busy job costs one QStash message per slot, not one per batch. Deaths
 * an invocation's upkeep finds (a lease run out with no attempt left) get a fold push at once.
 *
 * The worker a fold push starts folds and asks for no such push in advance (else fold pushes would
 * chain forever on an idle queue): were it killed, QStash delivers its push again. When another
 * folder holds the lease it asks for a fold push at that lease's end; when it stopped with entries
 * possibly left (out of time, or its commit's reply lost), for one at once; when its fold failed
 * (and may hold its own lease), for one after a lease.
 */
import type { Clock } from "../budget";
import type { Logger } from "../logger";
import type { PushPublisher } from "../publisher";
import type { BatchReport } from "../types";
import { FOLD_LEASE_MS, type FoldDeps, type FoldTally, foldQueue } from "./fold";

/** A push for a lease's end comes this long after it, so that the lease is out when it runs. */
const LEASE_END_MARGIN_MS = 500;

export interface FoldPushes {
  /** A fold push after a lease from now, unless this isolate asked for one in this slot; never throws. */
  ensure(queue: string): Promise<void>;
  /** A fold push at `atMs`, or in the next second when that is sooner. Throws when QStash refused it. */
  at(queue: string, atMs: number): Promise<void>;
}

/** Per isolate: the slot each queue's fold push was asked for (queue count bounded, like housekeeping.ts). */
const ensured = new Map<string, { slot: number; published: Promise<boolean> }>();

export function foldPushes(publisher: PushPublisher, clock: Clock, log: Logger, leaseMs = FOLD_LEASE_MS): FoldPushes {
  const slotMs = Math.max(1_000, Math.ceil(leaseMs / 3));
  // Always a second still to come: a push for the current second may have gone out already, and its
  // dedup id would swallow this one.
  const at = async (queue: string, atMs: number) => {
    const second = Math.max(Math.ceil(atMs / 1_000), Math.floor(clock.now() / 1_000) + 1);
    await publisher.publish([{ queue, deduplicationId: `${queue}.fold.${second}`, notBefore: second, fold: true }]);
  };
  return {
    at,
    async ensure(queue) {
      const slot = Math.floor(clock.now() / slotMs);
      const memo = `${publisher.destination ?? ""} ${queue}`;
      const known = ensured.get(memo);
      if (known?.slot === slot && (await known.published)) return;
      const published = at(queue, (slot + 1) * slotMs + leaseMs + LEASE_END_MARGIN_MS).then(
        () => true,
        (error: unknown) => {
          log.warn("could not publish a fold push; the cron folds what a folder that dies leaves", { queue, error: String(error) });
          return false;
        },
      );
      ensured.set(memo, { slot, published });
      await published;
    },
  };
}

/**
 * What a fold push runs. A fold that failed part way (a Redis error) may hold its own lease: the
 * next fold push comes when that is out. Throws only when it could not ask for the next one, so
 * that QStash delivers this one again.
 */
export async function foldFromPush(queue: string, deps: FoldDeps, pushes: FoldPushes, untilMs: number): Promise<BatchReport> {
  const started = deps.clock.now();
  let stop: FoldTally["stop"] | { reason: "failed" };
  try {
    const tally = await foldQueue(queue, deps, untilMs);
    stop = tally.stop;
    if (tally.rounds > 0) deps.log.info("fold push folded", { queue, rounds: tally.rounds, folded: tally.folded, stop: stop.reason });
  } catch (error) {
    deps.log.warn("fold failed; a fold push comes back after its lease", { queue, error: String(error) });
    stop = { reason: "failed" };
  }
  const leaseMs = deps.leaseMs ?? FOLD_LEASE_MS;
  if (stop.reason === "busy") await pushes.at(queue, stop.leaseEndsAt + LEASE_END_MARGIN_MS);
  else if (stop.reason === "failed") await pushes.at(queue, deps.clock.now() + leaseMs + LEASE_END_MARGIN_MS);
  else if (stop.reason !== "done") await pushes.at(queue, deps.clock.now());
  const published = stop.reason === "done" ? 0 : 1;
  return { queue, claimed: 0, succeeded: 0, retrying: 0, dead: 0, stale: 0, published, durationMs: deps.clock.now() - started };
}
