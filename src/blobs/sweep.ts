/**
 * Deletes payload blobs (payloads.ts) that no task or job refers to any more: those of tasks whose
 * record expired (the queue's result TTL) or was purged, job inputs of jobs gone (a day after they
 * finished), and orphans of a crash between the upload and the enqueue or completion that would have
 * referred to them. A blob younger than the grace period is left alone: its enqueue or completion
 * may still be on its way.
 *
 * A deployment sweeps only the blobs named under its own key prefix: deployments that share a bucket
 * under different prefixes never see, let alone delete, each other's. A key of another shape under
 * it is left alone too (nothing it wrote: it cannot tell who refers to it).
 *
 * The cron calls this once a minute; each call reads one page of 1,000 blobs and their tasks in one
 * HMGET, and keeps its place in the bucket itself (sweepCursorKey), so the cost per minute stays
 * the same however many large payloads are alive, and no Redis key is added for it.
 */
import type { TaskQueue, TaskRecord } from "../queue/types";
import type { BlobBucket } from "./bucket";
import { isPayloadRef, PAYLOAD_REF_FIELD, type PayloadOwner, parsePayloadKey, payloadRoot } from "./payloads";
import { splitTaskId, taskIdOf } from "../queue/ids";

/** Outside the payloads, so that it is never listed as one; one per key prefix. */
export function sweepCursorKey(prefix: string): string {
  return `~sweep/${prefix}/payloads-cursor`;
}
export const SWEEP_GRACE_MS = 15 * 60_000;
const PAGE = 1_000;

export interface SweepDeps {
  bucket: BlobBucket;
  /** The deployment's key prefix (EDGEQ_KEY_PREFIX): only blobs named under it are swept. */
  prefix: string;
  tasks: Pick<TaskQueue, "getMany">;
  /** Each job's input as stored (a reference when it is in R2), null for a job that is gone; job inputs are left alone without it. */
  jobInputs?(ids: readonly string[]): Promise<unknown[]>;
  now: number;
  graceMs?: number;
}

export interface SweepReport {
  checked: number;
  deleted: string[];
  /** True when the listing reached its end (the next call starts over). */
  wrapped: boolean;
}

/** A task's input is named before the task exists, by its local id (`x` of the task `<queue>~x`). */
const withTaskId = (owner: PayloadOwner): PayloadOwner =>
  owner.kind === "job-input" || splitTaskId(owner.ownerId) ? owner : { ...owner, ownerId: taskIdOf(owner.queue, owner.ownerId) };

const refersTo = (value: unknown, key: string) => isPayloadRef(value) && value[PAYLOAD_REF_FIELD].key === key;

export async function sweepPayloadBlobs(deps: SweepDeps): Promise<SweepReport> {
  const { bucket, prefix, now } = deps;
  const grace = deps.graceMs ?? SWEEP_GRACE_MS;
  const cursorKey = sweepCursorKey(prefix);
  const saved = await bucket.get(cursorKey);
  const cursor = saved && "body" in saved ? await new Response(saved.body).text() : "";
  const page = await bucket.list({ prefix: payloadRoot(prefix), limit: PAGE, ...(cursor ? { cursor } : {}) });
  const old = page.objects.filter((object) => now - object.uploaded.getTime() >= grace);
  const named = old.flatMap((object) => {
    const owner = parsePayloadKey(object.key);
    return owner ? [{ key: object.key, owner: withTaskId(owner) }] : [];
  });
  const referents = await storedValues(named.map(({ owner }) => owner), deps);
  const unreferenced = named.filter(({ key, owner }) => {
    const value = referents.get(`${owner.kind}:${owner.ownerId}`);
    return value !== undefined && !refersTo(value, key);
  }).map(({ key }) => key);
  if (unreferenced.length > 0) await bucket.delete(unreferenced);
  if (page.truncated && page.cursor) await bucket.put(cursorKey, page.cursor);
  else if (cursor) await bucket.delete(cursorKey);
  return { checked: page.objects.length, deleted: unreferenced, wrapped: !page.truncated };
}

/**
 * What each owner holds where a blob's reference would be, keyed `<kind>:<owner id>` (null: the owner
 * is gone); no entry for an owner that cannot be checked (job inputs without `jobInputs`).
 */
async function storedValues(owners: readonly PayloadOwner[], deps: SweepDeps): Promise<Map<string, unknown>> {
  const values = new Map<string, unknown>();
  const taskIds = [...new Set(owners.filter((owner) => owner.kind !== "job-input").map((owner) => owner.ownerId))];
  const jobIds = [...new Set(owners.filter((owner) => owner.kind === "job-input").map((owner) => owner.ownerId))];
  if (taskIds.length > 0) {
    (await deps.tasks.getMany(taskIds)).forEach((record: TaskRecord | null, i) => {
      values.set(`input:${taskIds[i]}`, record?.input ?? null);
      values.set(`result:${taskIds[i]}`, record?.result ?? null);
    });
  }
  if (jobIds.length > 0 && deps.jobInputs) (await deps.jobInputs(jobIds)).forEach((input, i) => values.set(`job-input:${jobIds[i]}`, input));
  return values;
}
