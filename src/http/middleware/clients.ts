/**
 * Hands each request what its handler works with: the clients built from the bindings (src/runtime/
 * clients.ts), the queue core over them, and the function registry the composition root gave the app.
 *
 * Built once per isolate and bindings object, not per request: @upstash/redis makes a closure per
 * command for every client (some 250), which cost about as much CPU as the rest of a /health request
 * (bench/profile.ts). Sharing them is safe: the clients hold no I/O object, only URLs and tokens, and
 * @upstash/redis's auto-pipelining gathers only the commands of one microtask run, which is one
 * request's. A new bindings object (another deployment's env, a test's) gets clients of its own.
 */
import { createMiddleware } from "hono/factory";
import { clientsFromEnv, type Clients, type FunctionRegistry } from "../../runtime/index";
import type { AppEnv } from "../types";

const built = new WeakMap<object, Clients>();

export function withClients(functions: FunctionRegistry) {
  return createMiddleware<AppEnv>(async (c, next) => {
    let clients = built.get(c.env);
    if (!clients) {
      clients = clientsFromEnv(c.env);
      if (typeof c.env === "object" && c.env !== null) built.set(c.env, clients);
    }
    c.set("clients", clients);
    c.set("queue", clients.tasks);
    c.set("functions", functions);
    await next();
  });
}
