/**
 * The edgeq HTTP API: one OpenAPIHono app, one error handler, every body, path and query validated
 * by the zod schemas that also generate /openapi.json. Built by the composition root (src/index.ts),
 * which passes in the function registry; each group of routes registers with one register* call.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { MAX_PAYLOAD_BYTES } from "../blobs/index";
import { onError, notFound } from "./middleware/problem";
import { withClients } from "./middleware/clients";
import { ProblemError } from "./problem";
import { registerBlobRoutes } from "./routes/blobs";
import { registerDeadRoutes } from "./routes/dead";
import { registerFunctionRoutes } from "./routes/functions";
import { registerJobRoutes } from "./routes/jobs";
import { registerDashboardRoutes } from "./dashboard/index";
import { registerMetaRoutes } from "./routes/meta";
import { registerMetricsRoutes } from "./routes/metrics";
import { registerQueueCallbackRoutes } from "./routes/queue-callback";
import { registerQueueRoutes } from "./routes/queues";
import { registerFlowRoutes } from "./routes/flow";
import { registerScheduleRoutes } from "./routes/schedules";
import { registerTaskRoutes } from "./routes/tasks";
import { registerWorkRoutes } from "./routes/work";
import type { FunctionRegistry } from "../runtime/index";
import type { App } from "./types";
import { validationHook } from "./validation";

/** Request bodies above this are refused before they are read: 5,000 small tasks fit. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

function tooLarge(detail: string): () => never {
  return () => {
    throw new ProblemError({ status: 413, kind: "payload-too-large", title: "Payload too large", detail });
  };
}

/** What the composition root (src/index.ts) hands the app. */
export interface AppDeps {
  functions: FunctionRegistry;
}

export function createApp({ functions }: AppDeps): App {
  const app: App = new OpenAPIHono({ defaultHook: validationHook });

  const limitBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge(`Request bodies are limited to ${MAX_BODY_BYTES} bytes; split the batch`) });
  // A task's input may be up to 25 MB when R2 is bound (src/blobs/payloads.ts); src/http/encryption.ts
  // still bounds what stays inline.
  const limitTaskBody = bodyLimit({ maxSize: MAX_PAYLOAD_BYTES + 1024 * 1024, onError: tooLarge(`A task's input is limited to ${MAX_PAYLOAD_BYTES} bytes of JSON`) });
  const isBlobBody = (method: string, path: string) => method === "PUT" && path.startsWith("/v1/blobs/");
  app.use("/v1/*", (c, next) => {
    // Blob bodies stream to R2 under their own limit (blob-access.ts), never read into memory here.
    if (isBlobBody(c.req.method, c.req.path)) return next();
    if (c.env.BLOBS && c.req.method === "POST" && /^\/v1\/queues\/[^/]+\/tasks$/.test(c.req.path)) return limitTaskBody(c, next);
    return limitBody(c, next);
  });
  app.use("*", withClients(functions));

  registerMetaRoutes(app);
  registerTaskRoutes(app);
  registerQueueRoutes(app);
  registerFlowRoutes(app);
  registerQueueCallbackRoutes(app);
  registerDeadRoutes(app);
  registerFunctionRoutes(app);
  registerJobRoutes(app);
  registerScheduleRoutes(app);
  registerWorkRoutes(app);
  registerBlobRoutes(app);
  registerMetricsRoutes(app);
  registerDashboardRoutes(app);

  app.onError(onError);
  app.notFound(notFound(() => app.routes));
  return app;
}
