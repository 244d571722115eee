/**
 * `defineSchedule`: a recurring task written beside the functions and registered in
 * functions/index.ts. Its name is its id; the cron synchronizes code schedules into Redis when the
 * deployed set changes (schedules/sync.ts), keeping a pause set over the API.
 */
import { validateCron } from "../queue/schedules/cron";
import { validateScheduleId } from "../queue/schedules/store";
import { validateQueueName } from "../queue/validate";

export interface ScheduleFunction {
  name: string;
  /** 5 fields, or 6 with seconds first ("0 30 2 * * *"). */
  cron: string;
  /** IANA time zone (DST included); UTC when absent. */
  timezone?: string;
  /** The task function each fire enqueues, and its input. */
  fn: string;
  input?: unknown;
  /** Default "default". */
  queue?: string;
}

export const DEFAULT_SCHEDULE_QUEUE = "default";

export function defineSchedule(def: ScheduleFunction): ScheduleFunction {
  try {
    validateScheduleId(def.name, "name");
    validateQueueName(def.queue ?? DEFAULT_SCHEDULE_QUEUE);
    validateCron({ cron: def.cron, timezone: def.timezone ?? null }, Date.now());
  } catch (error) {
    throw new TypeError(`schedule "${def.name}": ${error instanceof Error ? error.message : String(error)}`);
  }
  return def;
}
