/**
 * The edgeq HTTP API: one OpenAPIHono app, one error handler, every body, path and query validated
 * by the zod schemas that also generate /openapi.json. Built by the composition root (src/index.ts),
 * which passes in the function registry; each group of routes registers with one register* call.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { onError, notFound } from "./middleware/problem";
import { withClients } from "./middleware/clients";
import { ProblemError } from "./problem";
import { registerDeadRoutes } from "./routes/dead";
import { registerFunctionRoutes } from "./routes/functions";
import { registerJobRoutes } from "./routes/jobs";
import { registerDashboardRoutes } from "./dashboard/index";
import { registerMetaRoutes } from "./routes/meta";
import { registerMetricsRoutes } from "./routes/metrics";
import { registerQueueCallbackRoutes } from "./routes/queue-callback";
import { registerQueueRoutes } from "./routes/queues";
import { registerScheduleRoutes } from "./routes/schedules";
import { registerTaskRoutes } from "./routes/tasks";
import { registerWorkRoutes } from "./routes/work";
import type { FunctionRegistry } from "../runtime/index";
import type { App } from "./types";
import { validationHook } from "./validation";

/** Request bodies above this are refused before they are read: 5,000 small tasks fit. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** What the composition root (src/index.ts) hands the app. */
export interface AppDeps {
  functions: FunctionRegistry;
}

export function createApp({ functions }: AppDeps): App {
  const app: App = new OpenAPIHono({ defaultHook: validationHook });

  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ProblemError({
          status: 413,
          kind: "payload-too-large",
          title: "Payload too large",
          detail: `Request bodies are limited to ${MAX_BODY_BYTES} bytes; split the batch`,
        });
      },
    }),
  );
  app.use("*", withClients(functions));

  registerMetaRoutes(app);
  registerTaskRoutes(app);
  registerQueueRoutes(app);
  registerQueueCallbackRoutes(app);
  registerDeadRoutes(app);
  registerFunctionRoutes(app);
  registerJobRoutes(app);
  registerScheduleRoutes(app);
  registerWorkRoutes(app);
  registerMetricsRoutes(app);
  registerDashboardRoutes(app);

  app.onError(onError);
  app.notFound(notFound(() => app.routes));
  return app;
}
