import type { Env } from "./env";
import { app } from "./http/app";
import { handleScheduled } from "./runtime/scheduled";

export default {
  fetch: app.fetch,
  scheduled(_controller, env, ctx) {
    // waitUntil keeps the invocation alive for the whole sweep without holding the trigger's reply.
    ctx.waitUntil(handleScheduled(env));
  },
} satisfies ExportedHandler<Env>;
