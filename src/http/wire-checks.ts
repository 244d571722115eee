/**
 * The OpenAPI schemas that validate requests and describe answers (zod) held to the wire types the
 * client imports (src/wire), at compile time: a field added, dropped, renamed or retyped on one side
 * only fails `npm run typecheck` here. Types only: nothing of this file runs.
 */
import type { z } from "@hono/zod-openapi";
import type * as wire from "../wire/index";
import type { Canceled, EnqueuedMany, EnqueuedOne, Problem, QueueSummary, Settings, Task } from "./responses";
import type { FlowKey, FlowPage } from "./routes/flow";
import type { FunctionInfo } from "./routes/functions";
import type { Job, JobBody } from "./routes/jobs";
import type { Schedule, ScheduleBody } from "./routes/schedules";
import type { Backoff, Callback, FlowControl, TaskRequest } from "./schemas";

/** true when each side is assignable to the other and both have the same keys (optional ones too). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? ([keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false) : false) : false;
/** Compiles only when every check is true. */
type AllTrue<T extends true[]> = T;

/** Answers: what the server sends is what the client reads. */
export type Answers = AllTrue<[
  Same<z.output<typeof Task>, wire.Task>,
  Same<NonNullable<z.output<typeof Task>["flowControl"]>, wire.FlowControl>,
  Same<z.output<typeof EnqueuedOne>, wire.EnqueuedTask>,
  Same<z.output<typeof EnqueuedMany>, wire.EnqueuedTasks>,
  Same<z.output<typeof Canceled>, wire.Canceled>,
  Same<z.output<typeof Problem>, wire.Problem>,
  Same<z.output<typeof Settings>, wire.QueueSettings>,
  Same<z.output<typeof Settings>["backoff"], wire.BackoffPolicy>,
  Same<z.output<typeof QueueSummary>, wire.QueueSummary>,
  Same<z.output<typeof QueueSummary>["counts"], wire.QueueCounts>,
  Same<z.output<typeof FlowKey>, wire.FlowKeyState>,
  Same<z.output<typeof FlowPage>, wire.FlowPage>,
  Same<z.output<typeof Schedule>, wire.Schedule>,
  Same<NonNullable<z.output<typeof Schedule>["lastRun"]>, wire.ScheduleRun>,
  Same<z.output<typeof Job>, wire.Job>,
  Same<z.output<typeof FunctionInfo>, wire.FunctionInfo>,
]>;

/** Requests: what the client may send is what the server accepts (before durations are parsed). */
export type Requests = AllTrue<[
  Same<z.input<typeof TaskRequest>, wire.TaskRequest>,
  Same<z.input<typeof FlowControl>, wire.FlowControlRequest>,
  Same<z.input<typeof Callback>, wire.Callback>,
  Same<z.input<typeof ScheduleBody>, wire.ScheduleRequest>,
  Same<z.input<typeof JobBody>, wire.JobRequest>,
  Same<z.input<typeof Backoff>, wire.BackoffPolicy>,
]>;
