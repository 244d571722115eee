/**
 * Request and response schemas of the HTTP API. The same schemas validate requests and generate
 * /openapi.json, so the document cannot drift from what the Worker accepts.
 */
import { z } from "@hono/zod-openapi";
import { QUEUE_NAME_PATTERN, TASK_REF_PATTERN } from "../queue/index";
import { durationSchema } from "./duration";

const DAY_MS = 86_400_000;
/** Longest delay accepted: past a year a task is more likely a mistake than a plan. */
export const MAX_DELAY_MS = 365 * DAY_MS;
/** Longest per-task timeout: a cron invocation may run 15 minutes at most. */
export const MAX_TIMEOUT_MS = 15 * 60_000;
/** Tasks in one enqueue request; the queue core enqueues them in one script call. */
export const MAX_TASKS_PER_REQUEST = 5_000;

export const QueueName = z
  .string()
  .regex(QUEUE_NAME_PATTERN, "queue names are 1-64 characters of a-z, 0-9, _ and -")
  .openapi({ example: "default" });

export const TaskId = z
  .string()
  .regex(TASK_REF_PATTERN, "task ids are <queue>~<id>, or an id alone of 1-128 characters of A-Z, a-z, 0-9, _ . : and -")
  .openapi({ example: "default~01JD3Q7Y8Z9ABCDEFGHJKMNPQR" });

export const QueueParams = z.object({ queue: QueueName.openapi({ param: { name: "queue", in: "path" } }) });
export const TaskParams = z.object({ id: TaskId.openapi({ param: { name: "id", in: "path" } }) });

export const Callback = z
  .strictObject({
    url: z.string().min(1).max(2048).openapi({ description: "POSTed the final JSON through QStash; its host must be allowed by EDGEQ_CALLBACK_HOSTS" }),
    headers: z.record(z.string(), z.string()).optional().openapi({ description: "Sent with the POST (at most 10)" }),
  })
  .openapi("Callback");

export const TaskRequest = z
  .strictObject({
    fn: z.string().min(1).max(128).openapi({ description: "A function registered in functions/index.ts", example: "echo" }),
    input: z.unknown().optional().openapi({ description: "JSON input, checked against the function's schema" }),
    id: TaskId.optional().openapi({ description: "Caller-given id: enqueuing it again creates nothing" }),
    dedupKey: z.string().min(1).max(512).optional(),
    priority: z.number().int().min(-1000).max(1000).optional().openapi({ description: "Higher runs first" }),
    delay: durationSchema(MAX_DELAY_MS, "Run no earlier than this from now").optional(),
    runAt: z.number().int().nonnegative().optional().openapi({ description: "Run no earlier than this (ms since epoch)" }),
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    // A zero timeout would fail every attempt at once; refused here so that the error names `timeout`.
    timeout: durationSchema(MAX_TIMEOUT_MS, "Per-attempt time limit").refine((ms) => ms > 0, "must be more than 0").optional(),
    callback: Callback.optional().openapi({ description: "When the task ends (succeeded, dead or canceled), {tasks: [task]} is POSTed here" }),
  })
  .refine((task) => task.delay === undefined || task.runAt === undefined, {
    message: "give delay or runAt, not both",
    path: ["runAt"],
  })
  .openapi("TaskRequest");

export const EnqueueBody = z
  .union([z.strictObject({ tasks: z.array(TaskRequest).min(1).max(MAX_TASKS_PER_REQUEST) }), TaskRequest])
  .openapi("EnqueueBody");

export type TaskRequestInput = z.output<typeof TaskRequest>;

// Query strings are strict too: a misspelt `?wiat=10` is refused rather than silently not waiting.
export const WaitQuery = z.strictObject({
  wait: z.coerce
    .number()
    .min(0)
    .max(30)
    .optional()
    .openapi({ description: "Seconds to wait for the task to finish (long-poll, at most 30)", example: 10 }),
});

export const PageQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const DeadSelection = z
  .strictObject({ ids: z.array(TaskId).min(1).max(MAX_TASKS_PER_REQUEST).optional() })
  .openapi({ description: "The dead tasks to act on; all of the queue's when ids is omitted" });

const Backoff = z.strictObject({
  type: z.enum(["exponential", "fixed"]),
  baseMs: z.number().int().min(0).max(DAY_MS),
  maxMs: z.number().int().min(0).max(7 * DAY_MS),
  jitter: z.number().min(0).max(1),
});

// Limits mirror the queue core's (src/queue/settings.ts), which checks them again.
export const SettingsPatch = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(1000),
    backoff: Backoff.partial(),
    leaseMs: z.number().int().min(1_000).max(DAY_MS),
    resultTtlMs: z.number().int().min(1_000).max(90 * DAY_MS),
    batchSize: z.number().int().min(1).max(10_000),
    maxParallel: z.number().int().min(1).max(10_000),
    dedupWindowMs: z.number().int().min(0).max(30 * DAY_MS),
    paused: z.boolean(),
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { message: "give at least one setting to change" })
  .openapi("SettingsPatch");

export { Backoff };
