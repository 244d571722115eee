/**
 * The runtime's door: what src/http, the Worker entry and the user's functions/ import. Stateless
 * execution of tasks and jobs (push and cron handlers, autoscaling) over the queue core; free of
 * Hono, and given the function registry by the composition root (src/index.ts).
 */
export { type Clients, clientsFromEnv } from "./clients";
export { jobStoreOver } from "./sharded-jobs";
export { reachableQueues } from "./reachable";
export { checkpoint, defineFunction, PermanentError } from "./function";
export { defineJob, type JobFunction } from "./job";
export { cancelPendingTasks } from "./jobs/cancel";
export { SplitError } from "./jobs/split";
export { startJob } from "./jobs/start-job";
export type { Logger } from "./logger";
export { publishEnqueuePush } from "./enqueue-push";
export { inlineStartOn, startInline, startsInline } from "./inline-start";
export { handlePush, ReplayedDeliveryError } from "./push";
export { type FunctionInfo, type FunctionRegistry, registry } from "./registry";
export { handleScheduled } from "./scheduled";
export type { BatchReport, PushMessage, TaskContext, TaskFunction } from "./types";
export { defineSchedule, DEFAULT_SCHEDULE_QUEUE, type ScheduleFunction } from "./schedule";
export { handleScheduleTick } from "./schedules/tick";
export { openScheduleInput, publishTicks, scheduleStore, sealScheduleInput } from "./schedules/wire";
export { syncCodeSchedules } from "./schedules/sync";
export { setTaskTracer, type TaskTracer } from "./tracing";
export { callbackDeps } from "./runtime";
export { deliverCallbacksSafely, deliverJobCallback } from "./callbacks";
