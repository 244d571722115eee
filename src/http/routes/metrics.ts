/**
 * GET /metrics: every queue's counters, depths, gauges and histograms in Prometheus text format.
 * It needs a token with the read scope, sent as Prometheus sends one (see README, "Monitoring").
 * One script call per queue for its counts and one for its statistics, pipelined by the client.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type Clients, reachableQueues } from "../../runtime/index";
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

/** With several databases, whether each answered: its queues are missing from the rest while it is 0. */
function databaseGauges(clients: Clients, unavailable: readonly { database: string }[]): string {
  if (clients.databases.length === 1) return "";
  const down = new Set(unavailable.map((entry) => entry.database));
  const lines = clients.databases.map(({ database }) => `edgeq_database_up{database="${database}"} ${down.has(database) ? 0 : 1}`);
  return ["# HELP edgeq_database_up Whether the database answered the queue list (1) or not (0).", "# TYPE edgeq_database_up gauge", ...lines, ""].join("\n");
}

export function registerMetricsRoutes(app: App): void {
  app.openapi(metrics, async (c) => {
    const { queue, clients } = c.var;
    const { queues: summaries, unavailable } = await reachableQueues(clients);
    const [stats, flows] = await Promise.all([
      Promise.all(summaries.map((summary) => queue.getStats(summary.name))),
      Promise.all(summaries.map((summary) => queue.flowTotals(summary.name))),
    ]);
    const body = renderMetrics(summaries.map((summary, i) => ({ summary, stats: stats[i]!, flow: flows[i]! })));
    return c.text(body + databaseGauges(clients, unavailable), 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" });
  });
}
