/**
 * Hands each request the queue core over a Redis client built from the bindings (bindings are per
 * request on Workers; building a client is cheap and opens no connection).
 */
import { createMiddleware } from "hono/factory";
import { createTaskQueue } from "../../queue/index";
import { internalRedis } from "../../runtime/context";
import type { AppEnv } from "../types";

export const withQueue = createMiddleware<AppEnv>(async (c, next) => {
  c.set("queue", createTaskQueue(internalRedis(c.env), {}));
  await next();
});
