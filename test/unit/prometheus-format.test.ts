import { describe, expect, it } from "vitest";
import { renderMetrics } from "../../src/http/prometheus";
import { emptyHistogram } from "../../src/queue/stats/histogram";
import { DEFAULT_SETTINGS, type QueueStats } from "../../src/queue/index";
import { parseExposition } from "../support/prometheus-parser";

function stats(runBuckets: number[]): QueueStats {
  const runTime = emptyHistogram();
  runBuckets.forEach((n, i) => (runTime.buckets[i] = n));
  runTime.count = runBuckets.reduce((a, b) => a + b, 0);
  runTime.sumMs = 1234;
  const none = { p50: null, p95: null, p99: null, count: 0, meanMs: null };
  return {
    at: 0,
    minutes: [],
    lastHour: { enqueued: 0, succeeded: 0, failed: 0, dead: 0, canceled: 0, retried: 0 },
    runTime: none,
    wait: none,
    oldestWaitingMs: 2500,
    activeInvocations: 3,
    totals: { runTime, wait: emptyHistogram() },
  };
}

const counts = { delayed: 1, queued: 2, running: 3, dead: 4, enqueued: 10, succeeded: 5, failed: 6, canceled: 0 };

describe("Prometheus text format", () => {
  it("renders families with HELP and TYPE, cumulative buckets in seconds, and escaped labels", () => {
    const text = renderMetrics([
      { summary: { name: "a", settings: DEFAULT_SETTINGS, counts }, stats: stats([1, 0, 2]) },
      { summary: { name: 'we"ird\\q', settings: DEFAULT_SETTINGS, counts }, stats: stats([]) },
    ]);
    const exposition = parseExposition(text);
    const sample = (name: string, labels: Record<string, string>) =>
      exposition.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(sample("edgeq_task_duration_seconds_bucket", { queue: "a", le: "0.001" })).toBe(1);
    expect(sample("edgeq_task_duration_seconds_bucket", { queue: "a", le: "0.002" })).toBe(1);
    expect(sample("edgeq_task_duration_seconds_bucket", { queue: "a", le: "0.005" })).toBe(3);
    expect(sample("edgeq_task_duration_seconds_bucket", { queue: "a", le: "+Inf" })).toBe(3);
    expect(sample("edgeq_task_duration_seconds_sum", { queue: "a" })).toBe(1.234);
    expect(sample("edgeq_oldest_task_age_seconds", { queue: "a" })).toBe(2.5);
    expect(sample("edgeq_active_invocations", { queue: 'we"ird\\q' })).toBe(3);
    expect(sample("edgeq_queue_depth", { queue: "a", state: "running" })).toBe(3);
    expect(text).toContain('queue="we\\"ird\\\\q"');
  });

  it("the strict parser refuses what the grammar does not allow", () => {
    const good = "# HELP x_total X.\n# TYPE x_total counter\nx_total{q=\"a\"} 1\n";
    expect(parseExposition(good).samples).toHaveLength(1);
    expect(() => parseExposition(good.trimEnd())).toThrow(/newline/);
    expect(() => parseExposition("x_total 1\n")).toThrow(/before its TYPE/);
    expect(() => parseExposition(good.replace("} 1", "} one"))).toThrow(/grammar/);
    expect(() => parseExposition(good.replace("} 1", "} -1"))).toThrow(/counter/);
    expect(() => parseExposition(good + "# TYPE y gauge\ny 1\nx_total{q=\"b\"} 2\n")).toThrow(/twice/);
    const histogram = "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 3\nh_count 1\n";
    expect(() => parseExposition(histogram)).toThrow(/cumulative/);
    expect(() => parseExposition(histogram.replace('h_bucket{le="+Inf"} 1\n', ""))).toThrow(/\+Inf/);
  });
});
