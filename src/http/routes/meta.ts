/** /health (open, for load balancers and the local stack) and /openapi.json (any valid token). */
import { createRoute, z } from "@hono/zod-openapi";
import { databasesReachability } from "../health";
import { requireScope } from "../middleware/auth";
import { ProblemError } from "../problem";
import { json } from "../responses";
import type { App } from "../types";

const health = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness and Redis reachability of every database (no token needed; a good Redis answer stands for a second)",
  security: [],
  responses: {
    200: json(
      z.object({
        status: z.literal("ok"),
        redis: z.string(),
        databases: z.record(z.string(), z.string()).optional().describe("each database's answer, when the deployment has several"),
      }),
      "The Worker answers and reaches Redis",
    ),
    503: { description: "A database is unreachable (named in `database` and the detail)" },
  },
});

export function registerMetaRoutes(app: App): void {
  app.openapi(health, async (c) => {
    // seg (issue 13): every database of the deployment, not only the main one
    const { databases } = c.var.clients;
    const { replies, down } = await databasesReachability(databases);
    if (down.length > 0) {
      const several = databases.length > 1;
      throw new ProblemError({
        status: 503,
        kind: "unavailable",
        title: "Service unavailable",
        detail: several
          ? `Redis is unreachable on ${down.map(({ database, reason }) => `database "${database}" (${reason})`).join(", ")}`
          : `Redis is unreachable: ${down[0]!.reason}`,
        ...(several ? { database: down[0]!.database } : {}),
      });
    }
    const main = replies[databases[0]!.database]!;
    return c.json({ status: "ok" as const, redis: main, ...(databases.length > 1 ? { databases: replies } : {}) }, 200);
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
