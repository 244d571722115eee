/**
 * Keys of the schedules: a handful of small global structures, one entry per schedule (never per
 * fire), so none grows with time or with the number of tasks. They share the hash tag
 * `{schedules}`, so that a schedule script, which touches three of them, runs on one Redis Cluster
 * node and takes one Upstash key lock, apart from every queue's.
 */
export function scheduleKeys(prefix: string) {
  const tag = `${prefix}:{schedules}`;
  return {
    /** hash: schedule id → its definition (JSON). */
    definitions: tag,
    /** zset: id → the next fire time (ms); a paused schedule is not in it. The cron's one look. */
    due: `${tag}:due`,
    /** hash: id → its last fire `{at, taskId, firedAt}` (JSON). */
    runs: `${tag}:runs`,
    /** string: the fingerprint of the schedules defined in code, as last synchronized. */
    code: `${tag}:code`,
  };
}
