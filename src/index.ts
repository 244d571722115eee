import { Hono } from "hono";
import { Redis } from "@upstash/redis/cloudflare";
import type { Env } from "./env";

// Placeholder app until the HTTP issue lands: /health proves the Worker reaches Redis.
const app = new Hono<{ Bindings: Env }>();

app.get("/health", async (c) => {
  const redis = new Redis({ url: c.env.UPSTASH_REDIS_REST_URL, token: c.env.UPSTASH_REDIS_REST_TOKEN });
  const pong = await redis.ping();
  return c.json({ status: "ok", redis: pong });
});

export default {
  fetch: app.fetch,
  async scheduled() {},
} satisfies ExportedHandler<Env>;
