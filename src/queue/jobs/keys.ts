/**
 * Keys of the jobs layer. A queue's outbox and fold lease sit beside the queue's own keys (same
 * prefix and hash tag; the outbox is also KEYS[11] of every queue script, see ../keys.ts).
 */
export function jobKey(prefix: string, jobId: string): string {
  return `${prefix}:job:${jobId}`;
}

/** Sorted set of recent job ids, score = creation time (for listings such as the dashboard's). */
export function jobIndexKey(prefix: string): string {
  return `${prefix}:jobs`;
}

export function outboxKey(prefix: string, queue: string): string {
  return `${prefix}:q:{${queue}}:outbox`;
}

export function foldLeaseKey(prefix: string, queue: string): string {
  return `${prefix}:q:{${queue}}:fold`;
}
