/** The registered task functions with their input schemas, so clients know what they may enqueue. */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../middleware/auth";
import { json, problems } from "../responses";
import type { App } from "../types";

export const FunctionInfo = z
  .object({
    name: z.string(),
    kind: z.enum(["task", "job"]),
    description: z.string().nullable(),
    maxAttempts: z.number().int().nullable(),
    timeoutMs: z.number().nullable(),
    inputSchema: z.record(z.string(), z.unknown()).openapi({ description: "JSON Schema of the input" }),
  })
  .openapi("Function");

const listRoute = createRoute({
  method: "get",
  path: "/v1/functions",
  summary: "Registered functions and their input schemas",
  // Shows no queue's data: open to queue-restricted tokens too.
  middleware: [requireScope("read", "none")] as const,
  responses: { 200: json(z.object({ functions: z.array(FunctionInfo) }), "The functions"), ...problems(401, 403) },
});

export function registerFunctionRoutes(app: App): void {
  app.openapi(listRoute, (c) => c.json({ functions: c.var.functions.list() }, 200));
}
