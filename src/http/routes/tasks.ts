/** Tasks: enqueue into a queue, read one (optionally waiting for it to finish), cancel one. */
import { createRoute } from "@hono/zod-openapi";
import { inlineStartOn, publishEnqueuePush, startInline, startsInline } from "../../runtime/index";
import { toEnqueueRequests } from "../enqueue";
import { enqueueCoalesced } from "../enqueue-coalescer";
import { deliverForCanceled, storeCallbacks, withCallbacks } from "../callbacks";
import { asSingleTaskError } from "../errors";
import { type Listen, markWaiting, redisCompletionListener, WAIT_ANSWER_HEADER, type WaitAnswer, waitForTask } from "../long-poll";
import { doneChannel } from "../../queue/index";
import type { EnqueueRequest } from "../../queue/types";
import type { PayloadCipher } from "../../security/index";
import { requireScope, tokenReaches } from "../middleware/auth";
import { enforceEnqueueRate } from "../middleware/rate-limit";
import { sealingTasks } from "../../security/index";
import { checkInputSizes, httpCipher } from "../encryption";
import { taskView } from "../task-view";
import { registerTaskEventRoutes } from "./task-events";
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

/** A single task's input sealed before it joins others (enqueueCoalesced), as sealingTasks would. */
async function sealOne(cipher: PayloadCipher | null, queue: string, requests: EnqueueRequest[]): Promise<EnqueueRequest[]> {
  if (!cipher) return requests;
  return Promise.all(requests.map(async (request) => ({ ...request, input: await cipher.seal(request.input, "input", queue) })));
}

function taskNotFound(id: string): ProblemError {
  return new ProblemError({ status: 404, kind: "not-found", title: "Not found", detail: `No task ${id}` });
}

export function registerTaskRoutes(app: App): void {
  app.openapi(enqueue, async (c) => {
    const { queue } = c.req.valid("param");
    const body = c.req.valid("json");
    const batch = "tasks" in body;
    const given = batch ? body.tasks : [body];
    const { requests: checked, entries } = withCallbacks(c.env, toEnqueueRequests(c.var.functions, given, batch), given.map((task) => task.callback), batch);
    await enforceEnqueueRate(c, checked.length);
    const cipher = httpCipher(c.env);
    checkInputSizes(cipher, c.env.BLOBS, checked, batch);
    // Stored before the tasks exist: a task cannot end before its callback is there to be found.
    if (entries.length > 0) await storeCallbacks(c, queue, entries);
    // The script reads what the push needs in the same request, so the push is published at once.
    // A single task waits for no one but rides with the others that arrive while a call is in flight.
    const { prefix } = c.var.clients;
    const committer = { tasks: c.var.queue, keepAlive: (work: Promise<unknown>) => c.executionCtx.waitUntil(work) };
    const stored = batch
      ? sealingTasks(c.var.queue, cipher).enqueueAndPeek(queue, checked)
      : sealOne(cipher, queue, checked).then((requests) => enqueueCoalesced(`${c.env.UPSTASH_REDIS_REST_URL}|${prefix}|${queue}`, queue, requests, committer));
    const { results, pushInfo } = await stored.catch((error: unknown) => {
      throw batch ? error : asSingleTaskError(error);
    });
    // Tasks that can run now need a worker; delayed ones a wake-up push for the second they fall due.
    // waitUntil: the 202 goes out now, the publish finishes after it.
    const dueAt = results.flatMap((result) => (result.runAt === undefined ? [] : [result.runAt]));
    const readyNow = results.some((result) => !result.duplicate && result.status === "queued");
    const pushDeps = c.var.clients.forQueue(queue);
    if (!batch && inlineStartOn(c.env) && startsInline(pushInfo, readyNow, dueAt.length)) {
      c.executionCtx.waitUntil(startInline(c.env, `${c.env.UPSTASH_REDIS_REST_URL}|${prefix}`, queue, { functions: c.var.functions }, pushDeps, pushInfo));
    } else if (readyNow || dueAt.length > 0) {
      c.executionCtx.waitUntil(publishEnqueuePush(pushDeps, queue, { ...(pushInfo ? { pushInfo } : {}), dueAt, readyNow }));
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
    // Woken by the settle script's publish of the ids it finished (SSE subscribe through the REST API);
    // the header says whether that wake-up or a read answered.
    const { clients } = c.var;
    const waitMs = (wait ?? 0) * 1_000;
    const marked = (queue: string) => markWaiting(doneChannel(clients.prefix, queue), waitMs, (untilMs) => c.var.queue.markWaiting(queue, untilMs));
    const listen: Listen = (queue) => redisCompletionListener(clients.forQueue(queue).redis, (q) => doneChannel(clients.prefix, q), marked)(queue);
    const answer: { by?: WaitAnswer } = {};
    const task = wait ? await waitForTask(c.var.queue, id, waitMs, c.req.raw.signal, listen, undefined, answer) : await c.var.queue.get(id);
    if (answer.by) c.header(WAIT_ANSWER_HEADER, answer.by);
    // A task of a queue the token does not reach is not found: ids reveal nothing of other queues.
    if (!task || !tokenReaches(c, task.queue)) throw taskNotFound(id);
    return c.json(await taskView(c, task), 200);
  });

  app.openapi(cancelTask, async (c) => {
    const { id } = c.req.valid("param");
    if (!c.var.token.queues.all) {
      const owned = await c.var.queue.get(id);
      if (!owned || !tokenReaches(c, owned.queue)) throw taskNotFound(id);
    }
    const [canceled] = await c.var.queue.cancel([id]);
    const task = await c.var.queue.get(id);
    if (canceled === id) {
      if (task) c.executionCtx.waitUntil(deliverForCanceled(c, task.queue, [id]));
      return c.json({ id, status: "canceled" as const }, 200);
    }
    if (!task) throw taskNotFound(id);
    throw new ProblemError({
      status: 409,
      kind: "not-cancelable",
      title: "Not cancelable",
      detail: `Task ${id} is ${task.status}; only queued or delayed tasks can be canceled`,
    });
  });

  registerTaskEventRoutes(app);
}
