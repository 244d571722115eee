/**
 * The per-queue push epoch behind the deduplication ids of autoscale.ts. One small counter per
 * queue, never expiring: losing it only means one round of ids may repeat within QStash's dedup
 * window, which the cron's fresh epoch repairs.
 */
import type { Redis } from "@upstash/redis";
import { DEFAULT_PREFIX } from "../queue/keys";

export interface PushEpochs {
  /** Called by an invocation as it starts: pushes published before now are spent. */
  advance(queue: string): Promise<number>;
  current(queue: string): Promise<number>;
}

/** Beside the queue core's keys of the same queue (same prefix and hash tag, see src/queue/keys.ts). */
export function pushEpochKey(queue: string, prefix = DEFAULT_PREFIX): string {
  return `${prefix}:q:{${queue}}:push-epoch`;
}

export function redisPushEpochs(redis: Pick<Redis, "incr" | "get">): PushEpochs {
  return {
    advance: (queue) => redis.incr(pushEpochKey(queue)),
    async current(queue) {
      // The internal client turns off automatic deserialization, so the value may arrive as text.
      const value = await redis.get<string | number>(pushEpochKey(queue));
      return value === null ? 0 : Number(value);
    },
  };
}
