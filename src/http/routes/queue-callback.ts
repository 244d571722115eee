/**
 * A queue's completion callback: every task of the queue without its own gets this one (a job's
 * map tasks excepted: their job reports). PUT sets it, DELETE removes it, GET reads it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createCallbackStore, QUEUE_CALLBACK_FIELD } from "../../queue/callbacks";
import { checkedCallback } from "../callbacks";
import { requireScope } from "../middleware/auth";
import { json, problems } from "../responses";
import { Callback, QueueParams } from "../schemas";
import type { App, AppContext } from "../types";

const QueueCallback = z.object({ queue: z.string(), callback: Callback.nullable() }).openapi("QueueCallback");
const path = "/v1/queues/{queue}/callback";

const routes = {
  get: createRoute({ method: "get", path, summary: "The queue's completion callback", middleware: [requireScope("read")] as const, request: { params: QueueParams }, responses: { 200: json(QueueCallback, "The callback, or null"), ...problems(400, 401, 403) } }),
  put: createRoute({
    method: "put", path, summary: "Set the queue's completion callback (tasks with their own keep theirs)", middleware: [requireScope("admin")] as const,
    request: { params: QueueParams, body: { required: true, content: { "application/json": { schema: Callback } } } },
    responses: { 200: json(QueueCallback, "The callback now in force"), ...problems(400, 401, 403, 415) },
  }),
  delete: createRoute({ method: "delete", path, summary: "Remove the queue's completion callback", middleware: [requireScope("admin")] as const, request: { params: QueueParams }, responses: { 200: json(QueueCallback, "Removed"), ...problems(400, 401, 403) } }),
};

export function registerQueueCallbackRoutes(app: App): void {
  const store = (c: AppContext, queue: string) => createCallbackStore(c.var.clients.forQueue(queue).redis, { prefix: c.var.clients.prefix });
  app.openapi(routes.get, async (c) => {
    const { queue } = c.req.valid("param");
    const callback = (await store(c, queue).targets(queue, [QUEUE_CALLBACK_FIELD])).get(QUEUE_CALLBACK_FIELD) ?? null;
    return c.json({ queue, callback }, 200);
  });
  app.openapi(routes.put, async (c) => {
    const { queue } = c.req.valid("param");
    const callback = checkedCallback(c.env, c.req.valid("json"), "");
    await store(c, queue).setQueueDefault(queue, callback);
    return c.json({ queue, callback }, 200);
  });
  app.openapi(routes.delete, async (c) => {
    const { queue } = c.req.valid("param");
    await store(c, queue).setQueueDefault(queue, null);
    return c.json({ queue, callback: null }, 200);
  });
}
