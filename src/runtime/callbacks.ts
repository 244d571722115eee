/**
 * Completion callbacks: when tasks end (succeeded, dead or canceled), their final JSON is POSTed to
 * each one's callback URL through QStash, so QStash's retries and DLQ apply and the receiver checks
 * the Upstash-Signature with @upstash/qstash's Receiver. Tasks of one batch for the same URL (and
 * headers) travel in one message: `{"tasks": [task, …]}`, each task as GET /v1/tasks/{id} shows it;
 * a job's is `{"jobs": [job]}`, as GET /v1/jobs/{id} shows it.
 */
import type { Client } from "@upstash/qstash";
import { type CallbackStore, type CallbackTarget, jobCallbackField } from "../queue/callbacks";
import type { JobRecord, JobStore } from "../queue/jobs/index";
import type { ClaimedTask, TaskQueue, TaskRecord, TaskStatus } from "../queue/types";
import { type BlobBucket, resolvePayload } from "../blobs/index";
import { openTaskRecord, type PayloadCipher } from "../security/index";
import type { Logger } from "./logger";

/** One POST: `{"tasks": [...]}` or `{"jobs": [...]}`; `ids` name what it carries (for deduplication). */
export interface CallbackMessage {
  target: CallbackTarget;
  body: { tasks: TaskRecord[] } | { jobs: JobRecord[] };
  ids: string[];
}

export interface CallbackDeps {
  callbacks: CallbackStore;
  tasks: Pick<TaskQueue, "getMany">;
  publish(messages: readonly CallbackMessage[]): Promise<void>;
  payloads?: PayloadCipher | null;
  /** Inputs and results kept in R2 (src/blobs) are read back before they are sent. */
  bucket?: BlobBucket;
  log: Logger;
}

const FINAL: ReadonlySet<TaskStatus> = new Set(["succeeded", "dead", "canceled"]);
/** QStash retries a callback this often, after 1, 2, 4, 8 and 16 s; then it goes to QStash's DLQ. */
const CALLBACK_RETRIES = 5;
const CALLBACK_RETRY_DELAY = "min(60000, 1000 * pow(2, retried))";

/**
 * Delivers the callbacks of those of `ids` that have ended; returns the messages published. Tasks
 * still to run again (a retry) keep theirs. One HMGET when no task of the batch has a callback.
 */
export async function deliverCallbacks(queue: string, ids: readonly string[], deps: CallbackDeps): Promise<number> {
  const targets = await deps.callbacks.targets(queue, ids);
  if (targets.size === 0) return 0;
  const records = await deps.tasks.getMany([...targets.keys()]);
  // A job's map tasks report through their job (its own callback), not one by one.
  const ended = records.filter((record): record is TaskRecord => record !== null && FINAL.has(record.status) && record.jobId === null);
  if (ended.length === 0) return 0;
  const groups = new Map<string, { target: CallbackTarget; tasks: TaskRecord[] }>();
  for (const record of ended) {
    const target = targets.get(record.id) as CallbackTarget;
    const key = JSON.stringify(target);
    const group = groups.get(key) ?? { target, tasks: [] };
    const stored = { ...record, input: await resolvePayload(deps.bucket, record.input) };
    if (record.result !== undefined) stored.result = await resolvePayload(deps.bucket, record.result);
    group.tasks.push(await openTaskRecord(deps.payloads ?? null, stored));
    groups.set(key, group);
  }
  await deps.publish([...groups.values()].map(({ target, tasks }) => ({ target, body: { tasks }, ids: tasks.map((task) => task.id) })));
  await deps.callbacks.clear(queue, ended.map((record) => record.id));
  return groups.size;
}

/** Never throws: a callback that could not be published stays stored for the next try. */
export function deliverCallbacksSafely(queue: string, ids: readonly string[], deps: CallbackDeps): Promise<number> {
  return deliverCallbacks(queue, ids, deps).catch((error: unknown) => {
    deps.log.warn("could not deliver completion callbacks", { queue, error: String(error) });
    return 0;
  });
}

/** Entries the cron looks at per queue and minute: a hash that small comes back in one HSCAN page. */
export const SWEEP_COUNT = 1_000;

/**
 * The cron's safety net: callbacks still stored for tasks that ended where no worker delivered them
 * (a lease that ran out on the last attempt, in upkeep; a worker that died between its settle and
 * the publish). One HSCAN per queue; more only when entries are there.
 */
export async function sweepCallbacks(queue: string, deps: CallbackDeps): Promise<number> {
  const ids = await deps.callbacks.pending(queue, SWEEP_COUNT).catch((error: unknown) => {
    deps.log.warn("could not sweep completion callbacks", { queue, error: String(error) });
    return [];
  });
  return ids.length === 0 ? 0 : deliverCallbacksSafely(queue, ids, deps);
}

/** A batch's after-settle step that also delivers the callbacks of the batch's tasks. */
export function alsoDeliverCallbacks(
  afterSettle: (queue: string, settled: readonly ClaimedTask[]) => Promise<void>,
  deps: CallbackDeps,
): (queue: string, settled: readonly ClaimedTask[]) => Promise<void> {
  return async (queue, settled) => {
    await Promise.all([afterSettle(queue, settled), deliverCallbacksSafely(queue, settled.map((task) => task.id), deps)]);
  };
}

/** A job's callback, once it is over (its queue's callback setting is for tasks, not jobs). */
export async function deliverJobCallback(queue: string, jobId: string, deps: CallbackDeps & { jobs: Pick<JobStore, "get"> }): Promise<number> {
  const field = jobCallbackField(jobId);
  const target = (await deps.callbacks.targets(queue, [field], false)).get(field);
  if (!target) return 0;
  const job = await deps.jobs.get(jobId);
  if (!job || job.status === "running") return 0;
  await deps.publish([{ target, body: { jobs: [job] }, ids: [field] }]);
  await deps.callbacks.clear(queue, [field]);
  return 1;
}

async function deduplicationId(ids: readonly string[], url: string): Promise<string> {
  const text = `${url}\n${[...ids].sort().join(",")}`;
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return `edgeq.cb.${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export function callbackPublisher(client: Pick<Client, "batchJSON">): CallbackDeps["publish"] {
  return async (messages) => {
    if (messages.length === 0) return;
    await client.batchJSON(
      await Promise.all(
        messages.map(async ({ target, body, ids }) => ({
          url: target.url,
          body,
          ...(target.headers ? { headers: target.headers } : {}),
          retries: CALLBACK_RETRIES,
          retryDelay: CALLBACK_RETRY_DELAY,
          // The same completions published twice (a sweep beside a worker) reach the receiver once.
          deduplicationId: await deduplicationId(ids, target.url),
        })),
      ),
    );
  };
}
