/** Flow control: a queue's keys with tasks waiting, held or running, and one key's state. */
import { createRoute, z } from "@hono/zod-openapi";
import { MAX_FLOW_KEY_CHARS } from "../../queue/index";
import { requireScope } from "../middleware/auth";
import { ProblemError } from "../problem";
import { json, problems } from "../responses";
import { PageQuery, QueueName } from "../schemas";
import type { App } from "../types";

export const FlowKey = z
  .object({
    key: z.string(),
    waiting: z.number().int().openapi({ description: "Queued, taking turns with the other keys" }),
    held: z.number().int().openapi({ description: "Queued but held back by the key's limits until a slot or token opens" }),
    running: z.number().int().openapi({ description: "Holding a lease that has not expired" }),
    startedInPeriod: z.number().int().openapi({ description: "Started within the last period (what rate counts)" }),
    parallelism: z.number().int().nullable(),
    rate: z.number().int().nullable(),
    periodMs: z.number().int(),
  })
  .openapi("FlowKey");

export const FlowPage = z
  .object({
    queue: z.string(),
    activeKeys: z.number().int().openapi({ description: "Keys with tasks waiting or held" }),
    queued: z.number().int(),
    held: z.number().int(),
    total: z.number().int().openapi({ description: "Keys with tasks waiting, held or running" }),
    offset: z.number().int(),
    limit: z.number().int(),
    keys: z.array(FlowKey).openapi({ description: "Busiest first: running, then waiting and held" }),
  })
  .openapi("FlowPage");

const FlowParams = z.object({
  queue: QueueName.openapi({ param: { name: "queue", in: "path" } }),
  key: z.string().min(1).max(MAX_FLOW_KEY_CHARS).openapi({ param: { name: "key", in: "path" }, example: "customer-42" }),
});

const listFlow = createRoute({
  method: "get",
  path: "/v1/queues/{queue}/flow",
  summary: "The queue's flow-control keys with tasks waiting, held or running: counts and limits, busiest first",
  middleware: [requireScope("read")] as const,
  request: { params: z.object({ queue: FlowParams.shape.queue }), query: PageQuery },
  responses: { 200: json(FlowPage, "One page of keys"), ...problems(400, 401, 403) },
});

const getFlowKey = createRoute({
  method: "get",
  path: "/v1/queues/{queue}/flow/{key}",
  summary: "One flow-control key: waiting, held, running, starts in its period, limits",
  middleware: [requireScope("read")] as const,
  request: { params: FlowParams },
  responses: { 200: json(FlowKey, "The key"), ...problems(400, 401, 403, 404) },
});

export function registerFlowRoutes(app: App): void {
  app.openapi(listFlow, async (c) => {
    const { offset, limit } = c.req.valid("query");
    return c.json(await c.var.queue.flow(c.req.valid("param").queue, { offset, limit }), 200);
  });
  app.openapi(getFlowKey, async (c) => {
    const { queue, key } = c.req.valid("param");
    const state = await c.var.queue.flowKey(queue, key);
    if (!state) throw new ProblemError({ status: 404, kind: "not-found", title: "Not found", detail: `Queue ${queue} has no flow-control key ${JSON.stringify(key)}` });
    return c.json(state, 200);
  });
}
