/**
 * Response schemas, for /openapi.json. Handlers return the queue core's records as they are; these
 * describe them for clients and code generators.
 */
import { z } from "@hono/zod-openapi";
import { Backoff } from "./schemas";

const TaskStatus = z.enum(["delayed", "queued", "running", "succeeded", "dead", "canceled"]);

export const Problem = z
  .object({
    type: z.string().openapi({ example: "urn:edgeq:problem:validation" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    database: z.string().optional().openapi({ description: "The database at fault (a 503 when the deployment has several)" }),
  })
  .openapi("Problem");

export const EnqueuedOne = z
  .object({ id: z.string(), status: TaskStatus, duplicate: z.boolean() })
  .openapi("EnqueuedTask");
export const EnqueuedMany = z
  .object({ ids: z.array(z.string()), duplicates: z.number().int() })
  .openapi("EnqueuedTasks");

export const Task = z
  .object({
    id: z.string(),
    queue: z.string(),
    fn: z.string(),
    status: TaskStatus,
    input: z.unknown(),
    priority: z.number().int(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    timeoutMs: z.number().nullable(),
    createdAt: z.number(),
    runAt: z.number().nullable(),
    startedAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
    result: z.unknown().optional(),
    error: z.string().optional(),
    errors: z.array(z.string()).optional(),
    dedupKey: z.string().nullable(),
    jobId: z.string().nullable(),
    flowControl: z
      .object({ key: z.string(), parallelism: z.number().int().optional(), rate: z.number().int().optional(), periodMs: z.number().int().optional() })
      .optional()
      .openapi({ description: "Its flow-control key and the limits it was enqueued with" }),
    progress: z.unknown().optional().openapi({ description: "While running: the last value the task reported with ctx.progress" }),
    progressAt: z.number().optional().openapi({ description: "When it reported it" }),
  })
  .openapi("Task");

export const Canceled = z.object({ id: z.string(), status: z.literal("canceled") }).openapi("Canceled");

export const Settings = z
  .object({
    maxAttempts: z.number().int(),
    backoff: Backoff,
    leaseMs: z.number().int(),
    resultTtlMs: z.number().int(),
    batchSize: z.number().int(),
    maxParallel: z.number().int(),
    dedupWindowMs: z.number().int(),
    paused: z.boolean(),
  })
  .openapi("QueueSettings");

const Counts = z
  .object({
    delayed: z.number().int(),
    queued: z.number().int(),
    running: z.number().int(),
    dead: z.number().int(),
    enqueued: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    canceled: z.number().int(),
  })
  .openapi("QueueCounts");

export const QueueSummary = z.object({ name: z.string(), settings: Settings, counts: Counts }).openapi("Queue");
export const QueueList = z.object({ queues: z.array(QueueSummary) }).openapi("QueueList");
export const DeadList = z.object({ tasks: z.array(Task) }).openapi("DeadTasks");
export const Count = (name: string) => z.object({ [name]: z.number().int() });

/** The error responses every authenticated route may give. */
export function problems(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "Invalid request: `errors` names each failing field",
    401: "Missing or invalid token",
    403: "The token lacks the scope this route needs",
    404: "No such task or queue",
    409: "The task is not in a state that allows this",
    413: "Body too large",
    415: "Body is not JSON",
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: descriptions[status] ?? "Error", content: { "application/problem+json": { schema: Problem } } },
    ]),
  );
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}
