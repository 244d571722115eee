/**
 * The schedule store: definitions, the due set and last runs (keys.ts). Like the queue core it
 * depends only on a few @upstash/redis methods and a clock; reads tolerate a client with automatic
 * deserialization on or off.
 */
import type { Redis } from "@upstash/redis";
import { ErrorCode, ValidationError } from "../errors";
import { DEFAULT_PREFIX } from "../keys";
import { runScript, type ScriptRedis } from "../scripts/runner";
import { validateQueueName } from "../validate";
import { nextFire, validateCron } from "./cron";
import { scheduleKeys } from "./keys";
import { scheduleAdvanceScript, schedulePutScript, scheduleRemoveScript } from "./scripts";
import type { DueSchedule, ScheduleDefinition, ScheduleRun, ScheduleView } from "./types";

export type ScheduleRedis = ScriptRedis & Pick<Redis, "hget" | "hgetall" | "hlen" | "hmget" | "zrange" | "zscore" | "get" | "set">;

/** Schedule ids become part of task ids (`sched:<id>:<fire ms>`). */
export const SCHEDULE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Schedules one deployment keeps: listings read them all at once. */
export const MAX_SCHEDULES = 1_000;

export function validateScheduleId(id: unknown, field = "id"): string {
  if (typeof id !== "string" || !SCHEDULE_ID_PATTERN.test(id)) {
    throw new ValidationError(ErrorCode.InvalidArgument, field, `must match ${SCHEDULE_ID_PATTERN.source}`);
  }
  return id;
}

/** The task a fire enqueues has this id: the same fire time always names the same task. */
export function fireTaskId(scheduleId: string, fireAt: number): string {
  return `sched:${scheduleId}:${fireAt}`;
}

export interface ScheduleStore {
  /** Creates or replaces; a replace keeps the last run. Returns the stored view. */
  put(definition: ScheduleDefinition): Promise<{ view: ScheduleView; created: boolean }>;
  get(id: string): Promise<ScheduleView | null>;
  list(): Promise<ScheduleView[]>;
  remove(id: string): Promise<boolean>;
  /** Ids and fire times up to `until`, earliest first: one command (the cron's one look). */
  look(until: number, limit: number): Promise<{ id: string; dueAt: number }[]>;
  /** The definitions of these due entries (one HMGET); entries deleted meanwhile are left out. */
  definitions(due: readonly { id: string; dueAt: number }[]): Promise<DueSchedule[]>;
  /** Moves a schedule from `dueAt` to `nextAt` (null: none) and records the run, once; false if someone did already. */
  advance(id: string, dueAt: number, nextAt: number | null, run: ScheduleRun): Promise<boolean>;
  codeFingerprint(): Promise<string | null>;
  setCodeFingerprint(fingerprint: string): Promise<void>;
}

/** A flat [field, value, …] array or an object, as HGETALL / ZRANGE WITHSCORES answer with either client setting. */
function pairs(reply: unknown): [string, unknown][] {
  if (Array.isArray(reply)) {
    const out: [string, unknown][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), reply[i + 1]]);
    return out;
  }
  return reply && typeof reply === "object" ? Object.entries(reply) : [];
}

const asJson = <T>(value: unknown): T => (typeof value === "string" ? JSON.parse(value) : value) as T;

export function createScheduleStore(redis: ScheduleRedis, options: { prefix?: string; now?: () => number } = {}): ScheduleStore {
  const keys = scheduleKeys(options.prefix ?? DEFAULT_PREFIX);
  const now = options.now ?? Date.now;
  const all = [keys.definitions, keys.due, keys.runs];
  const view = (definition: ScheduleDefinition, next: unknown, run: unknown): ScheduleView => ({
    ...definition,
    nextRunAt: next === null || next === undefined ? null : Number(next),
    lastRun: run === null || run === undefined ? null : asJson<ScheduleRun>(run),
  });

  return {
    async put(definition) {
      validateScheduleId(definition.id);
      validateQueueName(definition.queue);
      validateCron(definition, now());
      const next = definition.paused ? null : nextFire(definition, now());
      const existing = await redis.hget(keys.definitions, definition.id);
      if (existing === null && (await redis.hlen(keys.definitions)) >= MAX_SCHEDULES) {
        throw new ValidationError(ErrorCode.InvalidArgument, "id", `a deployment keeps at most ${MAX_SCHEDULES} schedules`);
      }
      const args = [definition.id, JSON.stringify(definition), next === null ? "" : String(next), existing === null ? "0" : "1"];
      const created = Number(await runScript(redis, schedulePutScript, all, args)) === 1;
      return { view: view(definition, next, created ? null : await redis.hget(keys.runs, definition.id)), created };
    },

    async get(id) {
      validateScheduleId(id);
      const [definition, next, run] = await Promise.all([redis.hget(keys.definitions, id), redis.zscore(keys.due, id), redis.hget(keys.runs, id)]);
      return definition === null || definition === undefined ? null : view(asJson(definition), next, run);
    },

    async list() {
      const [definitions, due, runs] = await Promise.all([
        redis.hgetall(keys.definitions),
        redis.zrange(keys.due, 0, -1, { withScores: true }),
        redis.hgetall(keys.runs),
      ]);
      const nextOf = new Map(pairs(due));
      const runOf = new Map(pairs(runs));
      return pairs(definitions)
        .map(([id, definition]) => view(asJson(definition), nextOf.get(id) ?? null, runOf.get(id) ?? null))
        .sort((a, b) => a.id.localeCompare(b.id));
    },

    async remove(id) {
      validateScheduleId(id);
      return Number(await runScript(redis, scheduleRemoveScript, all, [id])) === 1;
    },

    async look(until, limit) {
      const found = pairs(await redis.zrange(keys.due, "-inf", until, { byScore: true, offset: 0, count: limit, withScores: true }));
      return found.map(([id, score]) => ({ id, dueAt: Number(score) }));
    },

    async definitions(due) {
      if (due.length === 0) return [];
      const ids = due.map((entry) => entry.id);
      const reply = await redis.hmget(keys.definitions, ...ids);
      const definitions = Array.isArray(reply) ? reply : ids.map((id) => (reply as Record<string, unknown> | null)?.[id] ?? null);
      return due.flatMap(({ dueAt }, index) => {
        const definition = definitions[index];
        return definition === null || definition === undefined ? [] : [{ definition: asJson<ScheduleDefinition>(definition), dueAt }];
      });
    },

    async advance(id, dueAt, nextAt, run) {
      const args = [id, String(dueAt), nextAt === null ? "" : String(nextAt), JSON.stringify(run)];
      return Number(await runScript(redis, scheduleAdvanceScript, all, args)) === 1;
    },

    async codeFingerprint() {
      const value = await redis.get(keys.code);
      return value === null || value === undefined ? null : String(value);
    },

    async setCodeFingerprint(fingerprint) {
      await redis.set(keys.code, fingerprint);
    },
  };
}
