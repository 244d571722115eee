/**
 * Keys of the jobs layer. A job's hash sits under its queue's hash tag, beside the queue's outbox
 * and fold lease (the outbox is also in the KEYS of every queue script, see ../keys.ts), so that
 * the fold's commit touches one slot: one Redis Cluster node, one Upstash key lock. For that the job
 * id names its queue: `<queue>.<ulid>` (queue names have no dot, ULIDs neither).
 */
import { newTaskId } from "../ids";
import { QUEUE_NAME_PATTERN } from "../validate";

/** A new job id of the queue, sortable by creation time like task ids. */
export function newJobId(queue: string, now: number): string {
  return `${queue}.${newTaskId(now)}`;
}

/** The queue a job id names, or undefined for an id from before ids named their queue. */
export function queueOfJobId(jobId: string): string | undefined {
  const at = jobId.indexOf(".");
  const queue = at > 0 ? jobId.slice(0, at) : "";
  return QUEUE_NAME_PATTERN.test(queue) ? queue : undefined;
}

/** An id that names no queue keeps its hash where jobs were kept before (readable, not cluster-safe). */
export function jobKey(prefix: string, jobId: string): string {
  const queue = queueOfJobId(jobId);
  return queue === undefined ? `${prefix}:job:${jobId}` : `${prefix}:q:{${queue}}:job:${jobId}`;
}

/**
 * Sorted set of recent job ids, score = creation time (for listings such as the dashboard's). It
 * spans queues, so no script writes it: the store adds a job to it beside the create script.
 */
export function jobIndexKey(prefix: string): string {
  return `${prefix}:jobs`;
}

export function outboxKey(prefix: string, queue: string): string {
  return `${prefix}:q:{${queue}}:outbox`;
}

export function foldLeaseKey(prefix: string, queue: string): string {
  return `${prefix}:q:{${queue}}:fold`;
}
