/**
 * Keys of the schedules: a handful of small global structures, one entry per schedule (never per
 * fire), so none grows with time or with the number of tasks.
 */
export function scheduleKeys(prefix: string) {
  return {
    /** hash: schedule id → its definition (JSON). */
    definitions: `${prefix}:schedules`,
    /** zset: id → the next fire time (ms); a paused schedule is not in it. The cron's one look. */
    due: `${prefix}:schedules:due`,
    /** hash: id → its last fire `{at, taskId, firedAt}` (JSON). */
    runs: `${prefix}:schedules:runs`,
    /** string: the fingerprint of the schedules defined in code, as last synchronized. */
    code: `${prefix}:schedules:code`,
  };
}
