/** The schedules' contract: what the HTTP layer, the CLI and the runtime's firing program against. */

import type { Schedule } from "../../wire/index";

export type { ScheduleRun, ScheduleSource } from "../../wire/index";

/** A schedule as GET /v1/schedules shows it (src/wire/schedules.ts). */
export type ScheduleView = Schedule;

/** A schedule as stored: what the API shows but for its next and last run, kept apart. */
export type ScheduleDefinition = Omit<Schedule, "nextRunAt" | "lastRun">;

/** A schedule whose fire time has come, as the cron's look or a tick finds it. */
export interface DueSchedule {
  definition: ScheduleDefinition;
  /** The fire time it is due for (its score in the due set). */
  dueAt: number;
}
