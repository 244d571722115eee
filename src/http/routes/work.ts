/** The push target: QStash calls it to start a stateless worker invocation for one queue. */
import { createRoute, z } from "@hono/zod-openapi";
import { handlePush, ReplayedDeliveryError } from "../../runtime/index";
import { replayedDelivery, requireQStashSignature } from "../middleware/qstash-signature";
import { json, problems } from "../responses";
import { QueueName } from "../schemas";
import type { App } from "../types";

const PushMessage = z
  .object({
    queue: QueueName,
    fold: z.literal(true).optional().describe("fold the queue's job results only; claim nothing"),
    net: z.object({ parallelism: z.int().min(1) }).optional().describe("an inline start's safety net: put off while the queue is live"),
  })
  .openapi("PushMessage");

const BatchReport = z
  .object({
    queue: z.string(),
    claimed: z.number().int(),
    succeeded: z.number().int(),
    retrying: z.number().int(),
    dead: z.number().int(),
    stale: z.number().int(),
    published: z.number().int(),
    durationMs: z.number(),
  })
  .openapi("BatchReport");

const work = createRoute({
  method: "post",
  path: "/v1/work",
  summary: "QStash push target: claim and run one batch of the queue (Upstash-Signature required)",
  // No bearer token: the Upstash-Signature header is the credential.
  security: [],
  // The replay mark is set by the invocation's start script, in the request that claims the first batch.
  middleware: [requireQStashSignature] as const,
  request: { body: { required: true, content: { "application/json": { schema: PushMessage } } } },
  responses: {
    200: json(BatchReport, "What the invocation did"),
    401: { description: "Missing or invalid Upstash-Signature" },
    ...problems(400, 415),
  },
});

export function registerWorkRoutes(app: App): void {
  app.openapi(work, async (c) => {
    const { jti, replayMark } = c.var.qstashDelivery;
    try {
      return c.json(await handlePush(c.env, c.req.valid("json"), { functions: c.var.functions }, replayMark), 200);
    } catch (error) {
      if (error instanceof ReplayedDeliveryError) throw replayedDelivery(jti);
      throw error;
    }
  });
}
