/**
 * Completion callbacks waiting for their task to end: one hash per queue (keys.ts callbacksKey),
 * written at enqueue, read and cleared by the worker that settles the task. Kept apart from the task
 * record so that no queue script changes: the worker's read rides beside its settle.
 */
import type { Redis } from "@upstash/redis";
import { splitTaskId, taskIdOf } from "./ids";
import { callbacksKey, DEFAULT_PREFIX } from "./keys";

/** Fields are local ids (`x` of the task `<queue>~x`, ids.ts): a task id is accepted in either form. */
const fieldOf = (id: string): string => splitTaskId(id)?.local ?? id;

export type CallbackRedis = Pick<Redis, "hset" | "hmget" | "hdel" | "hscan">;

export interface CallbackTarget {
  url: string;
  /** Forwarded with the POST (e.g. an Authorization the receiver checks besides the signature). */
  headers?: Record<string, string>;
}

/** The field of the queue's own callback: task ids never contain "*". */
export const QUEUE_CALLBACK_FIELD = "*";

/** The field of a job's callback, in its queue's hash: task ids never contain "!". */
export function jobCallbackField(jobId: string): string {
  return `!job:${jobId}`;
}

export interface CallbackStore {
  set(queue: string, entries: readonly { id: string; target: CallbackTarget }[]): Promise<void>;
  /** Each id's callback (its own, else the queue's unless `fallback` is false); ids without one are absent. One HMGET. */
  targets(queue: string, ids: readonly string[], fallback?: boolean): Promise<Map<string, CallbackTarget>>;
  clear(queue: string, ids: readonly string[]): Promise<void>;
  /** Task ids with a callback still stored: one HSCAN page of about `count` (the cron's sweep). */
  pending(queue: string, count: number): Promise<string[]>;
  setQueueDefault(queue: string, target: CallbackTarget | null): Promise<void>;
}

const parse = (value: unknown): CallbackTarget | null =>
  value === null || value === undefined ? null : ((typeof value === "string" ? JSON.parse(value) : value) as CallbackTarget);

export function createCallbackStore(redis: CallbackRedis, options: { prefix?: string } = {}): CallbackStore {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  return {
    async set(queue, entries) {
      if (entries.length === 0) return;
      await redis.hset(callbacksKey(prefix, queue), Object.fromEntries(entries.map((entry) => [fieldOf(entry.id), JSON.stringify(entry.target)])));
    },
    async targets(queue, ids, fallback = true) {
      const found = new Map<string, CallbackTarget>();
      if (ids.length === 0) return found;
      const fields = [...ids.map(fieldOf), QUEUE_CALLBACK_FIELD];
      const reply = await redis.hmget(callbacksKey(prefix, queue), ...fields);
      const values = Array.isArray(reply) ? reply : fields.map((field) => (reply as Record<string, unknown> | null)?.[field] ?? null);
      const queueTarget = fallback ? parse(values.at(-1)) : null;
      ids.forEach((id, index) => {
        const target = parse(values[index]) ?? queueTarget;
        if (target) found.set(id, target);
      });
      return found;
    },
    async clear(queue, ids) {
      if (ids.length > 0) await redis.hdel(callbacksKey(prefix, queue), ...ids.map(fieldOf));
    },
    async pending(queue, count) {
      const [, flat] = await redis.hscan(callbacksKey(prefix, queue), 0, { count });
      const fields = (flat as unknown[]).filter((_, index) => index % 2 === 0).map(String);
      // Only tasks: not the queue's own callback, nor jobs' (those are delivered by their fold).
      return fields.filter((field) => field !== QUEUE_CALLBACK_FIELD && !field.startsWith("!")).map((field) => taskIdOf(queue, field));
    },
    async setQueueDefault(queue, target) {
      if (target) await redis.hset(callbacksKey(prefix, queue), { [QUEUE_CALLBACK_FIELD]: JSON.stringify(target) });
      else await redis.hdel(callbacksKey(prefix, queue), QUEUE_CALLBACK_FIELD);
    },
  };
}
