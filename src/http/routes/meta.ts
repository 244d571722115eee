/** /health (open, for load balancers and the local stack) and /openapi.json (any valid token). */
import { createRoute, z } from "@hono/zod-openapi";
import { redisReachability } from "../health";
import { requireScope } from "../middleware/auth";
import { ProblemError } from "../problem";
import { json } from "../responses";
import type { App } from "../types";

const health = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness and Redis reachability (no token needed; a good Redis answer stands for a second)",
  security: [],
  responses: {
    200: json(z.object({ status: z.literal("ok"), redis: z.string() }), "The Worker answers and reaches Redis"),
    503: { description: "Redis is unreachable" },
  },
});

export function registerMetaRoutes(app: App): void {
  app.openapi(health, async (c) => {
    try {
      return c.json({ status: "ok" as const, redis: await redisReachability(c.var.clients.redis) }, 200);
    } catch (error) {
      throw new ProblemError({
        status: 503,
        kind: "unavailable",
        title: "Service unavailable",
        detail: `Redis is unreachable: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  // Generated once per isolate: the routes cannot change after start-up.
  let document: ReturnType<App["getOpenAPI31Document"]> | undefined;
  app.get("/openapi.json", requireScope("any", "none"), (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: { title: "edgeq", version: "1", description: "Distributed task queue on Workers, Upstash Redis and QStash" },
      security: [{ bearer: [] }],
    });
    return c.json(document);
  });
}
