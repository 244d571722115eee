/** Schedules on the wire: POST /v1/schedules takes a ScheduleRequest; every schedule route answers a Schedule. */

/** Where a schedule comes from: functions/index.ts (`defineSchedule`) or the API. */
export type ScheduleSource = "code" | "api";

export interface ScheduleRequest {
  /** 5 fields (minute precision) or 6 with seconds first. */
  cron: string;
  fn: string;
  input?: unknown;
  /** Default "default". */
  queue?: string;
  /** Replaces the schedule with this id, if any (default: a new id). */
  id?: string;
  /** IANA time zone the cron is read in (default UTC). */
  timezone?: string;
  paused?: boolean;
}

/** A schedule's last fire: the fire time, the task it enqueued and when that was done. */
export interface ScheduleRun {
  at: number;
  taskId: string;
  firedAt: number;
  /** Why the task could not be enqueued (e.g. its input no longer fits), when it could not. */
  error?: string;
}

/** A schedule as the API shows it, with its next and last run. */
export interface Schedule {
  id: string;
  cron: string;
  /** IANA time zone the cron is read in; UTC when null. */
  timezone: string | null;
  fn: string;
  input: unknown;
  queue: string;
  paused: boolean;
  source: ScheduleSource;
  createdAt: number;
  /** The next fire time (ms), null while paused. */
  nextRunAt: number | null;
  lastRun: ScheduleRun | null;
}
