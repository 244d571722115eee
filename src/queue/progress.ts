/**
 * Task progress: the latest value a running task reported with `ctx.progress`, one hash per queue
 * (keys.ts progressKey). A write carries every task of a batch in one HSET, so a worker pays at
 * most one command per batch per flush, however many tasks report.
 */
import type { Redis } from "@upstash/redis";
import { DEFAULT_PREFIX, progressKey } from "./keys";

export type ProgressRedis = Pick<Redis, "hset" | "hget" | "hdel">;

/** A progress value is at most this many bytes of JSON: it is read on every poll of the task. */
export const MAX_PROGRESS_BYTES = 4 * 1024;

export interface TaskProgress {
  value: unknown;
  /** When the task reported it (ms since the epoch). */
  at: number;
}

export interface ProgressEntry extends TaskProgress {
  id: string;
}

export interface ProgressStore {
  write(queue: string, entries: readonly ProgressEntry[]): Promise<void>;
  read(queue: string, id: string): Promise<TaskProgress | null>;
  clear(queue: string, ids: readonly string[]): Promise<void>;
}

/** The JSON of a progress value, or a TypeError saying why it cannot be one. */
export function progressJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("progress must be a JSON value");
  const bytes = json.length * 3 <= MAX_PROGRESS_BYTES ? json.length : new TextEncoder().encode(json).length;
  if (bytes > MAX_PROGRESS_BYTES) throw new TypeError(`progress is ${bytes} bytes of JSON; the limit is ${MAX_PROGRESS_BYTES}`);
  return json;
}

export function createProgressStore(redis: ProgressRedis, options: { prefix?: string } = {}): ProgressStore {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  return {
    async write(queue, entries) {
      if (entries.length === 0) return;
      const fields: Record<string, string> = {};
      for (const entry of entries) fields[entry.id] = `{"at":${entry.at},"value":${progressJson(entry.value)}}`;
      await redis.hset(progressKey(prefix, queue), fields);
    },
    async read(queue, id) {
      const raw = await redis.hget(progressKey(prefix, queue), id);
      if (raw === null || raw === undefined) return null;
      // A client with automatic deserialization on hands back the object already.
      const parsed = (typeof raw === "string" ? JSON.parse(raw) : raw) as TaskProgress;
      return { value: parsed.value, at: Number(parsed.at) };
    },
    async clear(queue, ids) {
      if (ids.length > 0) await redis.hdel(progressKey(prefix, queue), ...ids);
    },
  };
}
