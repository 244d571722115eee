/**
 * GET /metrics: every queue's counters, depths, gauges and histograms in Prometheus text format.
 * It needs a token with the read scope, sent as Prometheus sends one (see README, "Monitoring").
 * One script call per queue for its counts and one for its statistics, pipelined by the client.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../middleware/auth";
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from "../prometheus";
import { problems } from "../responses";
import type { App } from "../types";

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Prometheus metrics of every queue (text exposition format 0.0.4)",
  middleware: [requireScope("read")] as const,
  responses: {
    200: { description: "Metrics in Prometheus text format", content: { "text/plain": { schema: z.string() } } },
    ...problems(401, 403),
  },
});

export function registerMetricsRoutes(app: App): void {
  app.openapi(metrics, async (c) => {
    const { queue } = c.var;
    const summaries = await queue.listQueues();
    const [stats, flows] = await Promise.all([
      Promise.all(summaries.map((summary) => queue.getStats(summary.name))),
      Promise.all(summaries.map((summary) => queue.flowTotals(summary.name))),
    ]);
    const body = renderMetrics(summaries.map((summary, i) => ({ summary, stats: stats[i]!, flow: flows[i]! })));
    return c.text(body, 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" });
  });
}
