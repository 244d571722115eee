/** The schedules' contract: what the HTTP layer, the CLI and the runtime's firing program against. */

/** Where a schedule comes from: functions/index.ts (`defineSchedule`) or the API. */
export type ScheduleSource = "code" | "api";

export interface ScheduleDefinition {
  id: string;
  /** 5 fields (minute precision) or 6 with seconds first, as croner reads them. */
  cron: string;
  /** IANA time zone the cron is read in; UTC when absent. */
  timezone: string | null;
  fn: string;
  input: unknown;
  queue: string;
  paused: boolean;
  source: ScheduleSource;
  createdAt: number;
}

/** A schedule's last fire: the fire time, the task it enqueued and when that was done. */
export interface ScheduleRun {
  at: number;
  taskId: string;
  firedAt: number;
  /** Why the task could not be enqueued (e.g. its input no longer fits), when it could not. */
  error?: string;
}

/** A schedule as GET /v1/schedules shows it. */
export interface ScheduleView extends ScheduleDefinition {
  /** The next fire time (ms), null while paused. */
  nextRunAt: number | null;
  lastRun: ScheduleRun | null;
}

/** A schedule whose fire time has come, as the cron's look or a tick finds it. */
export interface DueSchedule {
  definition: ScheduleDefinition;
  /** The fire time it is due for (its score in the due set). */
  dueAt: number;
}
