/**
 * Deletes payload blobs (payloads.ts) that no task refers to any more: those of tasks whose record
 * expired (the queue's result TTL) or was purged, and orphans of a crash between the upload and the
 * enqueue or completion that would have referred to them. A blob younger than the grace period is
 * left alone: its enqueue or completion may still be on its way.
 *
 * The cron calls this once a minute; each call reads one page of 1,000 blobs and their tasks in one
 * HMGET, and keeps its place in the bucket itself (SWEEP_CURSOR_KEY), so the cost per minute stays
 * the same however many large payloads are alive, and no Redis key is added for it.
 */
import type { TaskQueue, TaskRecord } from "../queue/types";
import type { BlobBucket } from "./bucket";
import { INTERNAL_BLOB_PREFIX } from "./keys";
import { isPayloadRef, PAYLOAD_REF_FIELD, parsePayloadKey } from "./payloads";
import { splitTaskId, taskIdOf } from "../queue/ids";

/** Outside the payload prefix, so that it is never listed as a payload. */
export const SWEEP_CURSOR_KEY = "~sweep/payloads-cursor";
export const SWEEP_GRACE_MS = 15 * 60_000;
const PAGE = 1_000;

export interface SweepDeps {
  bucket: BlobBucket;
  tasks: Pick<TaskQueue, "getMany">;
  now: number;
  graceMs?: number;
}

export interface SweepReport {
  checked: number;
  deleted: string[];
  /** True when the listing reached its end (the next call starts over). */
  wrapped: boolean;
}

function refersTo(record: TaskRecord | null, kind: "input" | "result", key: string): boolean {
  const value = record?.[kind];
  return isPayloadRef(value) && value[PAYLOAD_REF_FIELD].key === key;
}

export async function sweepPayloadBlobs(deps: SweepDeps): Promise<SweepReport> {
  const { bucket, tasks, now } = deps;
  const grace = deps.graceMs ?? SWEEP_GRACE_MS;
  const saved = await bucket.get(SWEEP_CURSOR_KEY);
  const cursor = saved && "body" in saved ? await new Response(saved.body).text() : "";
  const page = await bucket.list({ prefix: INTERNAL_BLOB_PREFIX, limit: PAGE, ...(cursor ? { cursor } : {}) });
  const old = page.objects.filter((object) => now - object.uploaded.getTime() >= grace);
  // an input is named before its task exists, by the local id (`x` of the task `<queue>~x`)
  const named = old.map((object) => {
    const owner = parsePayloadKey(object.key);
    return { key: object.key, owner: owner && !splitTaskId(owner.taskId) ? { ...owner, taskId: taskIdOf(owner.queue, owner.taskId) } : owner };
  });
  const ids = [...new Set(named.flatMap(({ owner }) => (owner ? [owner.taskId] : [])))];
  const records = new Map<string, TaskRecord | null>();
  if (ids.length > 0) (await tasks.getMany(ids)).forEach((record, i) => records.set(ids[i]!, record));
  // A key of another shape was not written by edgeq under its own prefix: nothing refers to it.
  const unreferenced = named.filter(({ key, owner }) => !owner || !refersTo(records.get(owner.taskId) ?? null, owner.kind, key)).map(({ key }) => key);
  if (unreferenced.length > 0) await bucket.delete(unreferenced);
  if (page.truncated && page.cursor) await bucket.put(SWEEP_CURSOR_KEY, page.cursor);
  else if (cursor) await bucket.delete(SWEEP_CURSOR_KEY);
  return { checked: page.objects.length, deleted: unreferenced, wrapped: !page.truncated };
}
