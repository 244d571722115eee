/** The schedules' contract: what the HTTP layer, the CLI and the runtime's firing program against. */

import type { Schedule, ScheduleDefinition } from "../../wire/index";

export type { ScheduleDefinition, ScheduleRun, ScheduleSource } from "../../wire/index";

/** A schedule as GET /v1/schedules shows it (src/wire/schedules.ts). */
export type ScheduleView = Schedule;

/** A schedule whose fire time has come, as the cron's look or a tick finds it. */
export interface DueSchedule {
  definition: ScheduleDefinition;
  /** The fire time it is due for (its score in the due set). */
  dueAt: number;
}
