/**
 * The job store: a job's hash (progress, accumulator, outcome) and the fold of its queue's outbox.
 * Like the queue core it depends only on a few @upstash/redis methods. Job hashes hold JSON text,
 * so give it a client with `automaticDeserialization: false` (the runtime's internal client).
 */
import type { Redis } from "@upstash/redis";
import { text } from "../codec";
import { asArray } from "../context";
import { ErrorCode, ValidationError } from "../errors";
import { splitTaskId, taskIdOf } from "../ids";
import { DEFAULT_PREFIX } from "../keys";
import { foldLeaseKey, jobIndexKey, jobKey, outboxKey } from "./keys";
import { type QueueRedis, runScript } from "../scripts/runner";
import { validateQueueName } from "../validate";
import { JOB_FIELDS, JOB_STATE_FIELDS, parseJobEvent, toJobRecord, toJobState } from "./codec";
import { foldCommitScript, foldTakeScript, jobCreateScript, jobFinishScript } from "./scripts";
import type { FoldRound, JobFoldCommit, JobRecord, JobState, NewJob } from "./types";

export type JobRedis = QueueRedis & Pick<Redis, "hdel" | "zrange" | "zadd" | "zremrangebyrank">;

/** Jobs the index of recent jobs keeps. */
export const INDEX_SIZE = 1_000;

/** Job ids leave room for `-<index>` in their tasks' ids (128 characters at most). */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

export interface JobStoreOptions {
  prefix?: string;
  now?: () => number;
  /** How long a finished job stays readable (default one day). */
  keepMs?: number;
}

/** `busy`: another folder holds the lease until `leaseEndsAt` (ms since the epoch). */
export type TakeResult = FoldRound | { busy: true; leaseEndsAt: number } | "empty";
export type CommitResult = { ok: true; left: number } | { ok: false; reason: "lease-lost" | "changed" };

export interface JobStore {
  create(job: NewJob): Promise<boolean>;
  get(id: string): Promise<JobRecord | null>;
  /** The most recent jobs, newest first (the index keeps the last INDEX_SIZE). */
  recent(limit: number): Promise<JobRecord[]>;
  /** Records with input and accumulator, for a folder holding the fold lease. */
  states(ids: readonly string[]): Promise<(JobState | null)[]>;
  /** Each job's input as stored (sealed, or a reference to R2, as it may be); null for a job that is gone. */
  inputs(ids: readonly string[]): Promise<unknown[]>;
  /** A running job becomes succeeded, failed or canceled; false when it was not running. */
  finish(id: string, status: "succeeded" | "failed" | "canceled", text: string): Promise<boolean>;
  /** Takes the queue's fold lease and up to `max` outbox entries. */
  takeFold(queue: string, max: number, leaseMs: number): Promise<TakeResult>;
  commitFold(queue: string, round: FoldRound, commits: readonly JobFoldCommit[]): Promise<CommitResult>;
  /** Drops outbox entries of tasks of a job that is over (its cancel leaves one per canceled task). */
  discardEvents(queue: string, taskIds: readonly string[]): Promise<void>;
}

/** The outbox is keyed by the queue's local ids, as its scripts know them. */
const localOf = (id: string): string => splitTaskId(id)?.local ?? id;

export const DEFAULT_JOB_KEEP_MS = 24 * 3_600_000;

export function validateJobId(id: unknown, field = "id"): string {
  if (typeof id !== "string" || !JOB_ID_PATTERN.test(id)) {
    throw new ValidationError(ErrorCode.InvalidArgument, field, `must match ${JOB_ID_PATTERN.source}`);
  }
  return id;
}

/** HMGET with automatic deserialization off answers an array; on, an object keyed by field. */
function hmgetValues(reply: unknown, fields: readonly string[]): unknown[] {
  if (Array.isArray(reply)) return reply;
  if (reply && typeof reply === "object") return fields.map((f) => (reply as Record<string, unknown>)[f] ?? null);
  return fields.map(() => null);
}

export function createJobStore(redis: JobRedis, options: JobStoreOptions = {}): JobStore {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const now = options.now ?? Date.now;
  const keepMs = options.keepMs ?? DEFAULT_JOB_KEEP_MS;
  const read = async (id: string, fields: readonly string[]) =>
    hmgetValues(await redis.hmget(jobKey(prefix, validateJobId(id)), ...fields), fields);

  return {
    async create(job) {
      validateJobId(job.id);
      validateQueueName(job.queue);
      const createdAt = String(now());
      const fields: Record<string, string> = {
        fn: job.fn, queue: job.queue, status: job.finished?.status ?? "running", total: String(job.total),
        done: "0", failed: "0", maxFailures: String(job.maxFailures), createdAt,
        input: JSON.stringify(job.input ?? null), acc: job.finished ? "" : job.acc,
      };
      if (job.finished) {
        fields.finishedAt = createdAt;
        fields[job.finished.status === "succeeded" ? "result" : "error"] = job.finished.text;
      }
      const args = [String(job.finished ? keepMs : 0), ...Object.entries(fields).flat()];
      const created = Number(await runScript(redis, jobCreateScript, [jobKey(prefix, job.id)], args)) === 1;
      // Both in one request (the client pipelines them); a crash before it leaves the job out of listings only.
      if (created) await Promise.all([redis.zadd(jobIndexKey(prefix), { score: Number(createdAt), member: job.id }), redis.zremrangebyrank(jobIndexKey(prefix), 0, -INDEX_SIZE - 1)]);
      return created;
    },

    get: async (id) => toJobRecord(id, await read(id, JOB_FIELDS)),

    async recent(limit) {
      if (!Number.isInteger(limit) || limit < 1 || limit > INDEX_SIZE) {
        throw new ValidationError(ErrorCode.InvalidArgument, "limit", `must be an integer in [1, ${INDEX_SIZE}]`);
      }
      const ids = (await redis.zrange(jobIndexKey(prefix), 0, limit - 1, { rev: true })).map(text);
      const records = await Promise.all(ids.map(async (id) => toJobRecord(id, await read(id, JOB_FIELDS))));
      // Jobs past their keepMs are gone from Redis; the index forgets them lazily.
      return records.filter((record): record is JobRecord => record !== null);
    },

    states: (ids) => Promise.all(ids.map(async (id) => toJobState(id, await read(id, JOB_STATE_FIELDS)))),

    inputs: (ids) =>
      Promise.all(ids.map(async (id) => {
        const [input] = await read(id, ["input"]);
        return input === null || input === undefined ? null : (JSON.parse(text(input)) as unknown);
      })),

    async finish(id, status, outcome) {
      const field = status === "succeeded" ? "result" : "error";
      const args = [String(now()), status, field, outcome, String(keepMs)];
      return Number(await runScript(redis, jobFinishScript, [jobKey(prefix, validateJobId(id))], args)) === 1;
    },

    async takeFold(queue, max, leaseMs) {
      validateQueueName(queue);
      const token = crypto.randomUUID();
      const keys = [foldLeaseKey(prefix, queue), outboxKey(prefix, queue)];
      const [code, entries] = asArray(await runScript(redis, foldTakeScript, keys, [token, String(leaseMs), String(max)]));
      if (Number(code) === 0) return { busy: true, leaseEndsAt: now() + Math.max(0, Number(entries)) };
      if (Number(code) === 2) return "empty";
      const flat = asArray(entries);
      const events = [];
      // the outbox holds the queue's local ids; events name tasks by their full ids (ids.ts)
      for (let i = 0; i < flat.length; i += 2) events.push(parseJobEvent(taskIdOf(queue, text(flat[i])), text(flat[i + 1])));
      return { token, events };
    },

    async commitFold(queue, round, commits) {
      validateQueueName(queue);
      const keys = [foldLeaseKey(prefix, queue), outboxKey(prefix, queue), ...commits.map((c) => jobKey(prefix, c.jobId))];
      const args = [round.token, String(now()), String(commits.length), String(round.events.length), String(keepMs)];
      for (const c of commits) {
        args.push(c.acc ?? "", String(c.doneDelta), String(c.failedDelta), c.final?.status ?? "", c.final?.text ?? "");
      }
      // Entries holding a result never change once written; the others must be exactly as read.
      for (const event of round.events) args.push(localOf(event.taskId), event.result === null ? event.raw : "");
      const reply = await runScript(redis, foldCommitScript, keys, args);
      if (typeof reply === "number" || typeof reply === "string") {
        return { ok: false, reason: Number(reply) === -1 ? "lease-lost" : "changed" };
      }
      return { ok: true, left: Number(asArray(reply)[1]) };
    },

    async discardEvents(queue, taskIds) {
      validateQueueName(queue);
      // the outbox is keyed by local ids, as the queue's scripts know them (ids.ts)
      const locals = taskIds.map(localOf);
      for (let at = 0; at < locals.length; at += 1000) await redis.hdel(outboxKey(prefix, queue), ...locals.slice(at, at + 1000));
    },
  };
}
