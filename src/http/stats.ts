/**
 * A queue's statistics as the JSON API shows them (GET /v1/queues, GET /v1/queues/{queue}): the
 * summary fields stay as they were and `stats` is added beside them. The cumulative histograms
 * stay out of the JSON: /metrics exposes them.
 */
import { z } from "@hono/zod-openapi";
import type { QueueStats, QueueSummary as Summary, TaskQueue } from "../queue/index";
import { QueueSummary } from "./responses";

const Percentiles = z
  .object({
    p50: z.number().nullable(),
    p95: z.number().nullable(),
    p99: z.number().nullable(),
    count: z.number().int().openapi({ description: "Observations behind the figures" }),
    meanMs: z.number().nullable(),
  })
  .openapi("Percentiles");

const Counts = {
  enqueued: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int().openapi({ description: "Failed attempts, retried or not" }),
  dead: z.number().int(),
  canceled: z.number().int(),
  retried: z.number().int().openapi({ description: "Dead tasks sent back to the queue" }),
};

const Minute = z
  .object({
    at: z.number().int().openapi({ description: "Start of the minute, ms since the epoch" }),
    ...Counts,
    runP50Ms: z.number().nullable(),
    runP95Ms: z.number().nullable(),
  })
  .openapi("QueueMinute");

export const Stats = z
  .object({
    at: z.number().int(),
    minutes: z.array(Minute).openapi({ description: "The last 60 whole minutes and the current one, oldest first" }),
    lastHour: z.object(Counts),
    runTime: Percentiles.openapi({ description: "Claim to settle of each attempt in the last hour, ms" }),
    wait: Percentiles.openapi({ description: "Ready (created or due) to first claim in the last hour, ms" }),
    oldestWaitingMs: z.number().nullable().openapi({ description: "How long the task at the head of the queue has been ready" }),
    activeInvocations: z.number().int().openapi({ description: "Worker invocations holding a batch now" }),
  })
  .openapi("QueueStats");

export const QueueWithStats = QueueSummary.extend({ stats: Stats }).openapi("QueueWithStats");
export const QueueListWithStats = z
  .object({
    queues: z.array(QueueWithStats),
    unavailable: z
      .array(z.object({ database: z.string(), detail: z.string() }))
      .optional()
      .openapi({ description: "Databases that did not answer (several databases only): their queues are missing from the list" }),
  })
  .openapi("QueueListWithStats");

export type StatsView = Omit<QueueStats, "totals">;

export function statsView(stats: QueueStats): StatsView {
  const { totals: _totals, ...view } = stats;
  return view;
}

/** The summary with its statistics, read in parallel (the client pipelines both requests). */
export async function withStats(queue: Pick<TaskQueue, "getStats">, summary: Summary): Promise<Summary & { stats: StatsView }> {
  return { ...summary, stats: statsView(await queue.getStats(summary.name)) };
}
