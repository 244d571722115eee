/** Jobs: start a map-reduce job, read its progress (optionally waiting), stream it, cancel it. */
import { createRoute, z } from "@hono/zod-openapi";
import { blobStore, offloadingJobs } from "../../blobs/index";
import { INDEX_SIZE, JOB_ID_PATTERN, type JobRecord, type JobStore } from "../../queue/jobs/index";
import { cancelPendingTasks, jobStoreOver, publishEnqueuePush, SplitError, startJob } from "../../runtime/index";
import { jobEventStream } from "../job-events";
import { pollUntil } from "../long-poll";
import { sealingJobs, sealingTasks } from "../../security/index";
import { requireScope, tokenReaches } from "../middleware/auth";
import { enforceEnqueueRate } from "../middleware/rate-limit";
import { httpCipher } from "../encryption";
import { invalidField, ProblemError } from "../problem";
import { json, problems } from "../responses";
import { Callback, QueueName, WaitQuery } from "../schemas";
import { checkedCallback, deliverForJob, storeJobCallback } from "../callbacks";
import type { App, AppContext } from "../types";
import { fieldErrors } from "../validation";

export const DEFAULT_JOB_QUEUE = "default";

const JobStatus = z.enum(["running", "succeeded", "failed", "canceled"]);
export const Job = z
  .object({
    id: z.string(),
    fn: z.string(),
    queue: z.string(),
    status: JobStatus,
    total: z.number().int(),
    done: z.number().int().openapi({ description: "Map tasks whose result is folded in" }),
    failed: z.number().int().openapi({ description: "Map tasks dead or canceled" }),
    maxFailures: z.number().int(),
    result: z.unknown().optional(),
    error: z.string().optional(),
    createdAt: z.number(),
    finishedAt: z.number().nullable(),
  })
  .openapi("Job");

export const JobBody = z
  .strictObject({
    fn: z.string().min(1).max(128).openapi({ description: "A job function registered in functions/index.ts", example: "primes-below" }),
    input: z.unknown().optional().openapi({ description: "JSON input, checked against the job's schema" }),
    queue: QueueName.optional().openapi({ description: `Queue of its map tasks (default "${DEFAULT_JOB_QUEUE}")` }),
    callback: Callback.optional().openapi({ description: "When the job ends, {jobs: [job]} is POSTed here through QStash" }),
  })
  .openapi("JobRequest");

const JobParams = z.object({
  id: z.string().regex(JOB_ID_PATTERN, "job ids are 1-100 characters of A-Z, a-z, 0-9, _ . : and -").openapi({ param: { name: "id", in: "path" } }),
});

const startRoute = createRoute({
  method: "post",
  path: "/v1/jobs",
  summary: "Start a map-reduce job: its input is split into map tasks folded into one result",
  middleware: [requireScope("enqueue", "handler")] as const,
  request: { body: { required: true, content: { "application/json": { schema: JobBody } } } },
  responses: { 202: json(z.object({ id: z.string(), total: z.number().int() }), "Started"), ...problems(400, 401, 403, 413, 415) },
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/jobs",
  summary: "The most recent jobs, newest first, with their progress",
  middleware: [requireScope("read", "handler")] as const,
  request: { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(INDEX_SIZE).default(50) }) },
  responses: { 200: json(z.object({ jobs: z.array(Job) }), "Recent jobs"), ...problems(400, 401, 403) },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/jobs/{id}",
  summary: "A job's progress and, once finished, its result; ?wait=SECONDS waits for the end",
  middleware: [requireScope("read", "handler")] as const,
  request: { params: JobParams, query: WaitQuery },
  responses: { 200: json(Job, "The job"), ...problems(400, 401, 403, 404) },
});

const cancelRoute = createRoute({
  method: "delete",
  path: "/v1/jobs/{id}",
  summary: "Cancel a running job and its pending tasks",
  middleware: [requireScope("enqueue", "handler")] as const,
  request: { params: JobParams },
  responses: { 200: json(z.object({ id: z.string(), status: z.literal("canceled") }), "Canceled"), ...problems(401, 403, 404, 409) },
});

// With encryption at rest on, job inputs, accumulators and results are sealed (src/security/sealed-stores.ts);
// an input past 32 KiB is then kept in R2 (src/blobs/offloading.ts). With several databases, a job
// is created and read on its queue's database (src/runtime/sharded-jobs.ts).
const jobStore = (c: AppContext): JobStore => {
  const { prefix, bucket } = c.var.clients;
  return sealingJobs(offloadingJobs(jobStoreOver(c.var.clients), bucket, prefix), httpCipher(c.env));
};

function jobNotFound(id: string): ProblemError {
  return new ProblemError({ status: 404, kind: "not-found", title: "Not found", detail: `No job ${id}` });
}

/** A job of a queue the token does not reach is not found, as tasks are (see middleware/auth.ts). */
async function readJob(jobs: JobStore, id: string, reaches: (queue: string) => boolean): Promise<JobRecord> {
  const job = await jobs.get(id);
  if (!job || !reaches(job.queue)) throw jobNotFound(id);
  return job;
}

export function registerJobRoutes(app: App): void {
  app.openapi(startRoute, async (c) => {
    const { fn, input, queue = DEFAULT_JOB_QUEUE, callback } = c.req.valid("json");
    const { functions } = c.var;
    const target = callback ? checkedCallback(c.env, callback) : null;
    const job = functions.job(fn);
    if (!job) {
      const hint = functions.enqueueable(fn) ? "is a task function: enqueue it with POST /v1/queues/{queue}/tasks" : "is not a registered job";
      throw invalidField("fn", `"${fn}" ${hint} (jobs: ${functions.list().filter((f) => f.kind === "job").map((f) => f.name).join(", ")})`);
    }
    const parsed = job.input.safeParse(input ?? null);
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, ["input"]);
      throw new ProblemError({ status: 400, kind: "validation", title: "Invalid request", detail: `${errors[0]?.field}: ${errors[0]?.message}`, errors });
    }
    if (!tokenReaches(c, queue)) throw new ProblemError({ status: 403, kind: "forbidden", title: "Forbidden", detail: `This token does not reach queue "${queue}"` });
    await enforceEnqueueRate(c, 1);
    const tasks = sealingTasks(c.var.queue, httpCipher(c.env));
    const started = await startJob(job, parsed.data, queue, { tasks, jobs: jobStore(c), now: Date.now, ...(c.env.BLOBS ? { blobs: blobStore(c.env.BLOBS) } : {}) }).catch((error: unknown) => {
      // A split that disagrees with its count is a bug in the job, not in the request: say so.
      if (error instanceof SplitError) {
        throw new ProblemError({ status: 500, kind: "job-definition", title: "Job definition error", detail: `${fn}: ${error.message}` });
      }
      throw error;
    });
    if (target) await storeJobCallback(c, queue, started.id, target, jobStore(c));
    if (started.total > 0) c.executionCtx.waitUntil(publishEnqueuePush(c.var.clients.forQueue(queue), queue));
    return c.json(started, 202);
  });

  app.openapi(listRoute, async (c) => {
    const jobs = await jobStore(c).recent(c.req.valid("query").limit);
    return c.json({ jobs: jobs.filter((job) => tokenReaches(c, job.queue)) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { wait } = c.req.valid("query");
    const jobs = jobStore(c);
    if (wait && !c.var.token.queues.all) await readJob(jobs, id, (queue) => tokenReaches(c, queue));
    const job = wait
      ? await pollUntil(() => jobs.get(id), (j) => !j || j.status !== "running", wait * 1_000, c.req.raw.signal)
      : await jobs.get(id);
    if (!job || !tokenReaches(c, job.queue)) throw jobNotFound(id);
    return c.json(job, 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid("param");
    const jobs = jobStore(c);
    const job = await readJob(jobs, id, (queue) => tokenReaches(c, queue));
    if (!(await jobs.finish(id, "canceled", "canceled by request"))) {
      const now = await readJob(jobs, id, () => true);
      throw new ProblemError({ status: 409, kind: "not-cancelable", title: "Not cancelable", detail: `Job ${id} is ${now.status}` });
    }
    await cancelPendingTasks(job, { tasks: sealingTasks(c.var.queue, httpCipher(c.env)), jobs });
    c.executionCtx.waitUntil(deliverForJob(c, job.queue, id, jobs));
    return c.json({ id, status: "canceled" as const }, 200);
  });

  app.get("/v1/jobs/:id/events", requireScope("read", "handler"), async (c) => {
    const id = c.req.param("id");
    if (!JOB_ID_PATTERN.test(id)) throw invalidField("id", `must match ${JOB_ID_PATTERN.source}`);
    const jobs = jobStore(c);
    return jobEventStream(c, await readJob(jobs, id, (queue) => tokenReaches(c, queue)), () => jobs.get(id));
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/jobs/{id}/events",
    summary: "Server-sent events: `progress` on each change, then `result` with the finished job (or `reconnect`)",
    request: { params: JobParams },
    responses: { 200: { description: "text/event-stream of Job objects", content: { "text/event-stream": { schema: z.string() } } }, ...problems(401, 403, 404) },
  });
}
