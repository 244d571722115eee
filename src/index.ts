/**
 * The Worker entry and the one composition root: the user's function registry (functions/) is
 * passed into the HTTP app and the cron's runtime here, and nowhere below; each builds its clients
 * from the bindings it is given (src/runtime/clients.ts).
 */
import { functions } from "../functions/index";
import type { Env } from "./env";
import { createApp } from "./http/app";
import { handleScheduled } from "./runtime/index";

const app = createApp({ functions });

export default {
  fetch: app.fetch,
  scheduled(_controller, env, ctx) {
    // waitUntil keeps the invocation alive for the whole sweep without holding the trigger's reply.
    ctx.waitUntil(handleScheduled(env, { functions }));
  },
} satisfies ExportedHandler<Env>;
