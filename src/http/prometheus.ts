/**
 * Prometheus text exposition format (version 0.0.4), written by hand: it is a few line shapes,
 * and a client library would drag Node APIs into the Worker. Names follow Prometheus' conventions:
 * counters end in _total, durations are seconds, histograms have cumulative _bucket{le} series
 * ending at +Inf plus _sum and _count.
 */
import { LATENCY_BOUNDS_MS, type FlowTotals, type Histogram, type QueueStats, type QueueSummary } from "../queue/index";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;

/** Label values escape backslash, double quote and newline. */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function num(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    this.lines.push(`${name}${labelText(labels)} ${num(value)}`);
    return this;
  }

  histogram(name: string, labels: Labels, h: Histogram): this {
    let cumulative = 0;
    LATENCY_BOUNDS_MS.forEach((boundMs, i) => {
      cumulative += h.buckets[i] ?? 0;
      this.sample(`${name}_bucket`, { ...labels, le: String(boundMs / 1000) }, cumulative);
    });
    cumulative += h.buckets[LATENCY_BOUNDS_MS.length] ?? 0;
    this.sample(`${name}_bucket`, { ...labels, le: "+Inf" }, cumulative);
    this.sample(`${name}_sum`, labels, h.sumMs / 1000);
    return this.sample(`${name}_count`, labels, cumulative);
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

export interface QueueMetrics {
  summary: QueueSummary;
  stats: QueueStats;
  /** Flow control's totals; a label per flow key would make a series per tenant, so there is none. */
  flow?: FlowTotals;
}

const STATES = ["queued", "delayed", "running", "dead"] as const;

/** Every queue's series, grouped by metric family as the format requires. */
export function renderMetrics(queues: QueueMetrics[]): string {
  const out = new Exposition();
  const counter = (name: string, help: string, value: (q: QueueMetrics) => number) => {
    out.family(name, "counter", help);
    for (const q of queues) out.sample(name, { queue: q.summary.name }, value(q));
  };
  counter("edgeq_tasks_enqueued_total", "Tasks created in the queue.", (q) => q.summary.counts.enqueued);
  counter("edgeq_tasks_succeeded_total", "Tasks that completed successfully.", (q) => q.summary.counts.succeeded);
  counter("edgeq_tasks_failed_total", "Failed attempts, whether retried or not (lease expiries included).", (q) => q.summary.counts.failed);
  counter("edgeq_tasks_dead_total", "Tasks moved to the dead-letter set.", (q) => q.summary.counts.dead);
  counter("edgeq_tasks_canceled_total", "Tasks canceled before they ran.", (q) => q.summary.counts.canceled);

  out.family("edgeq_queue_depth", "gauge", "Tasks in the queue by state.");
  for (const q of queues) for (const state of STATES) out.sample("edgeq_queue_depth", { queue: q.summary.name, state }, q.summary.counts[state]);

  out.family("edgeq_queue_paused", "gauge", "1 when the queue is paused.");
  for (const q of queues) out.sample("edgeq_queue_paused", { queue: q.summary.name }, q.summary.settings.paused ? 1 : 0);

  out.family("edgeq_oldest_task_age_seconds", "gauge", "How long the task at the head of the queue has been ready to run (0 when none waits).");
  for (const q of queues) out.sample("edgeq_oldest_task_age_seconds", { queue: q.summary.name }, (q.stats.oldestWaitingMs ?? 0) / 1000);

  out.family("edgeq_active_invocations", "gauge", "Worker invocations holding a claimed batch of the queue.");
  for (const q of queues) out.sample("edgeq_active_invocations", { queue: q.summary.name }, q.stats.activeInvocations);

  out.family("edgeq_task_duration_seconds", "histogram", "Run time of each attempt, from claim to settle.");
  for (const q of queues) out.histogram("edgeq_task_duration_seconds", { queue: q.summary.name }, q.stats.totals.runTime);

  out.family("edgeq_flow_keys", "gauge", "Flow-control keys with tasks waiting or held back.");
  for (const q of queues) out.sample("edgeq_flow_keys", { queue: q.summary.name }, q.flow?.activeKeys ?? 0);

  out.family("edgeq_flow_held_tasks", "gauge", "Queued tasks held back by their flow-control key's parallelism or rate.");
  for (const q of queues) out.sample("edgeq_flow_held_tasks", { queue: q.summary.name }, q.flow?.held ?? 0);

  out.family("edgeq_task_wait_seconds", "histogram", "Time from a task becoming ready (created or due) to its first claim.");
  for (const q of queues) out.histogram("edgeq_task_wait_seconds", { queue: q.summary.name }, q.stats.totals.wait);
  return out.text();
}
