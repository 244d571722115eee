/**
 * The per-queue push epoch behind the deduplication ids of autoscale.ts (a queue key, KEYS[12] of
 * its scripts: the enqueue script reads it and the start script advances it in their own request;
 * these are for the other callers). One small counter per queue, never expiring: losing it only
 * means one round of ids may repeat within QStash's dedup window, which the cron's fresh epoch repairs.
 * Beside it, the end of an invocation's live mark (queue/scripts/pieces/live.ts), which the claim
 * scripts otherwise set and clear.
 */
import type { Redis } from "@upstash/redis";
import { LEDGER_FIELD, LEDGER_UNIT, LIVE_MARK_FIELD, pushEpochKey, queueKeyMap } from "../queue/index";

export interface PushEpochs {
  /** Called by an invocation as it starts: pushes published before now are spent. */
  advance(queue: string): Promise<number>;
  current(queue: string): Promise<number>;
  /**
   * Called by an invocation that stops while its last claim took tasks (its budget spent): from now
   * on the queue's enqueues push again. It checks the backlog after this, for those that did not.
   */
  endLive(queue: string): Promise<void>;
  /** Until when (ms) the queue's live mark promises another claim, as enqueues read it (its stats copy); null: no mark. */
  liveUntil(queue: string): Promise<number | null>;
}

export function redisPushEpochs(redis: Pick<Redis, "incr" | "get" | "hdel" | "hget" | "hincrby">, prefix: string): PushEpochs {
  return {
    advance: (queue) => redis.incr(pushEpochKey(prefix, queue)),
    async current(queue) {
      // The internal client turns off automatic deserialization, so the value may arrive as text.
      const value = await redis.get<string | number>(pushEpochKey(prefix, queue));
      return value === null ? 0 : Number(value);
    },
    async endLive(queue) {
      // the stats hash's copies first: they are the ones enqueues read (queue/scripts/pieces/live.ts).
      // [cmds] The enqueue ledger's live part is taken off by a relative HINCRBY, which keeps the
      // enqueues it counts meanwhile; a claim that rewrote the part in between leaves a difference
      // that reads as a time long past (queue/stats/lua.ts ledger), so the mark is gone either way.
      const keys = queueKeyMap(prefix, queue);
      const live = Math.floor(Number((await redis.hget<string | number>(keys.stats, LEDGER_FIELD)) ?? 0) / LEDGER_UNIT);
      if (live > 0) await redis.hincrby(keys.stats, LEDGER_FIELD, -live * LEDGER_UNIT);
      await redis.hdel(keys.stats, LIVE_MARK_FIELD);
      await redis.hdel(keys.meta, LIVE_MARK_FIELD);
    },
    async liveUntil(queue) {
      const value = await redis.hget<string | number>(queueKeyMap(prefix, queue).stats, LIVE_MARK_FIELD);
      return value === null || value === undefined ? null : Number(value);
    },
  };
}
