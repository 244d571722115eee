/** Tasks: enqueue into a queue, read one (optionally waiting for it to finish), cancel one. */
import { createRoute } from "@hono/zod-openapi";
import { nudgeWorkers } from "../../runtime/nudge";
import { toEnqueueRequests } from "../enqueue";
import { enqueueCoalesced } from "../enqueue-coalescer";
import { asSingleTaskError } from "../errors";
import { redisCompletionListener, waitForTask } from "../long-poll";
import { DEFAULT_PREFIX, doneChannel } from "../../queue/index";
import { internalRedis } from "../../runtime/context";
import { requireScope, tokenReaches } from "../middleware/auth";
import { enforceEnqueueRate } from "../middleware/rate-limit";
import { openTask, sealInputs } from "../payloads";
import { ProblemError } from "../problem";
import { Canceled, EnqueuedMany, EnqueuedOne, json, problems, Task } from "../responses";
import { EnqueueBody, QueueParams, TaskParams, WaitQuery } from "../schemas";
import type { App } from "../types";

const enqueue = createRoute({
  method: "post",
  path: "/v1/queues/{queue}/tasks",
  summary: "Enqueue one task, or many as {tasks: [...]}",
  middleware: [requireScope("enqueue")] as const,
  request: {
    params: QueueParams,
    body: { required: true, content: { "application/json": { schema: EnqueueBody } } },
  },
  responses: {
    202: json(EnqueuedOne.or(EnqueuedMany), "Accepted: {id, status, duplicate} for one task, {ids, duplicates} for many"),
    ...problems(400, 401, 403, 413, 415),
  },
});

const getTask = createRoute({
  method: "get",
  path: "/v1/tasks/{id}",
  summary: "Read a task; with ?wait=SECONDS, wait up to that long for it to finish",
  middleware: [requireScope("read", "handler")] as const,
  request: { params: TaskParams, query: WaitQuery },
  responses: { 200: json(Task, "The task"), ...problems(400, 401, 403, 404) },
});

const cancelTask = createRoute({
  method: "delete",
  path: "/v1/tasks/{id}",
  summary: "Cancel a queued or delayed task",
  middleware: [requireScope("enqueue", "handler")] as const,
  request: { params: TaskParams },
  responses: { 200: json(Canceled, "Canceled"), ...problems(401, 403, 404, 409) },
});

function taskNotFound(id: string): ProblemError {
  return new ProblemError({ status: 404, kind: "not-found", title: "Not found", detail: `No task ${id}` });
}

export function registerTaskRoutes(app: App): void {
  app.openapi(enqueue, async (c) => {
    const { queue } = c.req.valid("param");
    const body = c.req.valid("json");
    const batch = "tasks" in body;
    const checked = toEnqueueRequests(batch ? body.tasks : [body], batch);
    await enforceEnqueueRate(c, checked.length);
    const requests = await sealInputs(c.env, queue, checked, batch);
    // The script reads what the nudge needs in the same request, so the push is published at once.
    // A single task waits for no one but rides with the others that arrive while a call is in flight.
    const committer = { tasks: c.var.queue, keepAlive: (work: Promise<unknown>) => c.executionCtx.waitUntil(work) };
    const stored = batch
      ? c.var.queue.enqueueAndPeek(queue, requests)
      : enqueueCoalesced(`${c.env.UPSTASH_REDIS_REST_URL}|${queue}`, queue, requests, committer);
    const { results, wake } = await stored.catch((error: unknown) => {
      throw batch ? error : asSingleTaskError(error);
    });
    // Tasks that can run now need a worker; delayed ones a wake-up push for the second they fall due.
    // waitUntil: the 202 goes out now, the publish finishes after it.
    const wakeAt = results.flatMap((result) => (result.runAt === undefined ? [] : [result.runAt]));
    const readyNow = results.some((result) => !result.duplicate && result.status === "queued");
    if (readyNow || wakeAt.length > 0) {
      c.executionCtx.waitUntil(nudgeWorkers(c.env, queue, { ...(wake ? { wake } : {}), wakeAt, readyNow }));
    }
    if (batch) {
      const duplicates = results.filter((result) => result.duplicate).length;
      return c.json({ ids: results.map((result) => result.id), duplicates }, 202);
    }
    const [first] = results;
    if (!first) throw new Error("enqueue of one task returned no result");
    return c.json({ id: first.id, status: first.status, duplicate: first.duplicate }, 202);
  });

  app.openapi(getTask, async (c) => {
    const { id } = c.req.valid("param");
    const { wait } = c.req.valid("query");
    // A restricted token's task is checked before waiting, so that a foreign id is not found at once.
    if (wait && !c.var.token.queues.all) {
      const first = await c.var.queue.get(id);
      if (!first || !tokenReaches(c, first.queue)) throw taskNotFound(id);
    }
    // Woken by the settle script's publish of the ids it finished (SSE subscribe through the REST API).
    const listen = redisCompletionListener(internalRedis(c.env), (queue) => doneChannel(DEFAULT_PREFIX, queue));
    const task = wait ? await waitForTask(c.var.queue, id, wait * 1_000, c.req.raw.signal, listen) : await c.var.queue.get(id);
    // A task of a queue the token does not reach is not found: ids reveal nothing of other queues.
    if (!task || !tokenReaches(c, task.queue)) throw taskNotFound(id);
    return c.json(await openTask(c.env, task), 200);
  });

  app.openapi(cancelTask, async (c) => {
    const { id } = c.req.valid("param");
    if (!c.var.token.queues.all) {
      const owned = await c.var.queue.get(id);
      if (!owned || !tokenReaches(c, owned.queue)) throw taskNotFound(id);
    }
    const [canceled] = await c.var.queue.cancel([id]);
    if (canceled === id) return c.json({ id, status: "canceled" as const }, 200);
    const task = await c.var.queue.get(id);
    if (!task) throw taskNotFound(id);
    throw new ProblemError({
      status: 409,
      kind: "not-cancelable",
      title: "Not cancelable",
      detail: `Task ${id} is ${task.status}; only queued or delayed tasks can be canceled`,
    });
  });
}
