/** Queues: list with counts, read one, change settings, pause and resume. */
import { createRoute } from "@hono/zod-openapi";
import { DEFAULT_SETTINGS, QueueNotFoundError } from "../../queue/index";
import type { QueueSettings } from "../../queue/types";
import { publishEnqueuePush, reachableQueues } from "../../runtime/index";
import { requireScope, tokenReaches } from "../middleware/auth";
import { invalidField } from "../problem";
import { json, problems, QueueSummary } from "../responses";
import { QueueParams, SettingsPatch } from "../schemas";
import { QueueListWithStats, QueueWithStats, withStats } from "../stats";
import type { App } from "../types";

const listQueues = createRoute({
  method: "get",
  path: "/v1/queues",
  summary: "Every queue with its settings, counts and statistics",
  // A queue-restricted token sees the queues it reaches.
  middleware: [requireScope("read", "handler")] as const,
  responses: { 200: json(QueueListWithStats, "The queues"), ...problems(401, 403) },
});

const getQueue = createRoute({
  method: "get",
  path: "/v1/queues/{queue}",
  summary: "One queue's settings, counts, throughput per minute, latency and wait percentiles",
  middleware: [requireScope("read")] as const,
  request: { params: QueueParams },
  responses: { 200: json(QueueWithStats, "The queue"), ...problems(400, 401, 403) },
});

const patchQueue = createRoute({
  method: "patch",
  path: "/v1/queues/{queue}",
  summary: "Change some of a queue's settings",
  middleware: [requireScope("admin")] as const,
  request: {
    params: QueueParams,
    body: { required: true, content: { "application/json": { schema: SettingsPatch } } },
  },
  responses: { 200: json(QueueSummary, "The queue with the settings now in force"), ...problems(400, 401, 403, 415) },
});

function pauseRoute(action: "pause" | "resume") {
  return createRoute({
    method: "post",
    path: `/v1/queues/{queue}/${action}`,
    summary: action === "pause" ? "Stop workers claiming from the queue" : "Let workers claim again",
    middleware: [requireScope("admin")] as const,
    request: { params: QueueParams },
    responses: { 200: json(QueueSummary, "The queue with the settings now in force"), ...problems(400, 401, 403) },
  });
}

export function registerQueueRoutes(app: App): void {
  app.openapi(listQueues, async (c) => {
    const { queues, unavailable } = await reachableQueues(c.var.clients);
    const summaries = queues.filter((summary) => tokenReaches(c, summary.name));
    const listed = await Promise.all(summaries.map((summary) => withStats(c.var.queue, summary)));
    return c.json({ queues: listed, ...(unavailable.length > 0 ? { unavailable } : {}) }, 200);
  });

  app.openapi(getQueue, async (c) => c.json(await withStats(c.var.queue, await c.var.queue.getQueue(c.req.valid("param").queue)), 200));

  app.openapi(patchQueue, async (c) => {
    const { queue } = c.req.valid("param");
    const { backoff, ...rest } = c.req.valid("json");
    const patch: Partial<QueueSettings> = { ...rest };
    // A partial backoff is merged with the one in force, so that one knob can be turned alone.
    if (backoff) {
      // A queue may be configured before its first task: then the defaults are what is in force.
      const current = await c.var.queue.getQueue(queue).then(
        (summary) => summary.settings.backoff,
        (error: unknown) => {
          if (error instanceof QueueNotFoundError) return DEFAULT_SETTINGS.backoff;
          throw error;
        },
      );
      patch.backoff = { ...current, ...backoff };
      if (patch.backoff.maxMs < patch.backoff.baseMs) throw invalidField("backoff.maxMs", "must be at least backoff.baseMs");
    }
    await c.var.queue.updateSettings(queue, patch);
    if (patch.paused === false) await c.var.clients.forQueue(queue).epochs.endLive(queue); // as a resume does
    return c.json(await c.var.queue.getQueue(queue), 200);
  });

  for (const action of ["pause", "resume"] as const) {
    app.openapi(pauseRoute(action), async (c) => {
      const { queue } = c.req.valid("param");
      await c.var.queue.updateSettings(queue, { paused: action === "pause" });
      // a paused queue's claims take nothing and clear no live mark (queue/scripts/pieces/live.ts):
      // one left from before the pause must not silence the pushes of the enqueues that follow
      if (action === "resume") await c.var.clients.forQueue(queue).epochs.endLive(queue);
      const summary = await c.var.queue.getQueue(queue);
      // Enqueues to a paused queue publish no push: its waiting tasks get theirs now, not from the cron.
      const waiting = (summary.counts.queued ?? 0) + (summary.counts.delayed ?? 0);
      if (action === "resume" && waiting > 0) c.executionCtx.waitUntil(publishEnqueuePush(c.var.clients.forQueue(queue), queue));
      return c.json(summary, 200);
    });
  }
}
