/** Dead letters: list a queue's dead tasks, retry them, purge them. */
import { createRoute } from "@hono/zod-openapi";
import { publishEnqueuePush } from "../../runtime/index";
import { requireScope } from "../middleware/auth";
import { openTasks } from "../encryption";
import { Count, DeadList, json, problems } from "../responses";
import { DeadSelection, PageQuery, QueueParams } from "../schemas";
import type { App } from "../types";

const listDead = createRoute({
  method: "get",
  path: "/v1/queues/{queue}/dead",
  summary: "Dead tasks with their last error and every attempt's error",
  middleware: [requireScope("read")] as const,
  request: { params: QueueParams, query: PageQuery },
  responses: { 200: json(DeadList, "Dead tasks, newest first"), ...problems(400, 401, 403) },
});

/** Retry and purge share a shape: an optional {ids} body, without which they act on every dead task. */
function deadAction(method: "post" | "delete", path: string, summary: string, counted: string) {
  return createRoute({
    method,
    path,
    summary,
    middleware: [requireScope("admin")] as const,
    request: {
      params: QueueParams,
      body: { required: false, content: { "application/json": { schema: DeadSelection } } },
    },
    responses: { 200: json(Count(counted), `How many were ${counted}`), ...problems(400, 401, 403, 415) },
  });
}

const retryDead = deadAction("post", "/v1/queues/{queue}/dead/retry", "Requeue dead tasks with fresh attempts (all, or {ids})", "retried");
const purgeDead = deadAction("delete", "/v1/queues/{queue}/dead", "Delete dead tasks (all, or {ids})", "purged");

export function registerDeadRoutes(app: App): void {
  app.openapi(listDead, async (c) => {
    const { queue } = c.req.valid("param");
    return c.json({ tasks: await openTasks(c.env, await c.var.queue.listDead(queue, c.req.valid("query"))) }, 200);
  });

  app.openapi(retryDead, async (c) => {
    const { queue } = c.req.valid("param");
    const retried = await c.var.queue.retryDead(queue, c.req.valid("json").ids);
    // retried tasks are queued again: push a worker as an enqueue does, not a minute later by cron
    if (retried > 0) c.executionCtx.waitUntil(publishEnqueuePush(c.var.clients.forQueue(queue), queue));
    return c.json({ retried }, 200);
  });

  app.openapi(purgeDead, async (c) => {
    const { queue } = c.req.valid("param");
    return c.json({ purged: await c.var.queue.purgeDead(queue, c.req.valid("json").ids) }, 200);
  });
}
