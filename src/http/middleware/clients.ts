/**
 * Hands each request what its handler works with: the clients built from this request's bindings
 * (src/runtime/clients.ts: bindings are per request on Workers, and building opens no connection),
 * the queue core over them, and the function registry the composition root gave the app.
 */
import { createMiddleware } from "hono/factory";
import { clientsFromEnv, type FunctionRegistry } from "../../runtime/index";
import type { AppEnv } from "../types";

export function withClients(functions: FunctionRegistry) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const clients = clientsFromEnv(c.env);
    c.set("clients", clients);
    c.set("queue", clients.tasks);
    c.set("functions", functions);
    await next();
  });
}
