import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_TOKENS } from "./fixtures";
import { call, directQueue, expectProblem, ORIGIN, queueName } from "./helpers";
import { parseExposition, type Exposition } from "../support/prometheus-parser";

const queue = queueName("metrics");
const K = 9; // enqueued
const J = 3; // failed once, retried later
const D = 2; // dead at once

async function metrics(token: string | null = TEST_TOKENS.read): Promise<Response> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return exports.default.fetch(new Request(`${ORIGIN}/metrics`, { headers }));
}

function value(exposition: Exposition, name: string, labels: Record<string, string>): number | undefined {
  return exposition.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe("queue statistics over HTTP and GET /metrics", () => {
  beforeAll(async () => {
    const tasks = Array.from({ length: K }, (_, i) => ({ fn: "echo", input: { i } }));
    expect((await call("POST", `/v1/queues/${queue}/tasks`, { json: { tasks } })).status).toBe(202);
    // No worker runs beside this file (pushes go to a recording sink), so the claim gets them all.
    const core = directQueue();
    const claimed = await core.claim(queue, K);
    expect(claimed).toHaveLength(K);
    const ok = claimed.slice(0, K - J - D);
    await core.complete(queue, ok.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: t.input })));
    await core.fail(queue, [
      ...claimed.slice(K - J - D, K - D).map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "later", retryable: true })),
      ...claimed.slice(K - D).map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "never", retryable: false })),
    ]);
  });

  it("adds throughput, percentiles, oldest wait and active invocations to GET /v1/queues/{queue}", async () => {
    const answer = await call<{ counts: Record<string, number>; stats: Record<string, unknown> & { lastHour: Record<string, number>; minutes: unknown[] } }>(
      "GET",
      `/v1/queues/${queue}`,
      { token: "read" },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.counts).toMatchObject({ enqueued: K, succeeded: K - J - D, failed: J + D, dead: D, delayed: J });
    expect(answer.body.stats.lastHour).toEqual({ enqueued: K, succeeded: K - J - D, failed: J + D, dead: D, canceled: 0, retried: 0 });
    expect(answer.body.stats.minutes).toHaveLength(61);
    expect(answer.body.stats).toMatchObject({
      activeInvocations: 0,
      oldestWaitingMs: null,
      runTime: { count: K, p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) },
      wait: { count: K },
    });
    expect(answer.body.stats).not.toHaveProperty("totals");
    const list = await call<{ queues: { name: string; stats: { lastHour: Record<string, number> } }[] }>("GET", "/v1/queues", { token: "read" });
    expect(list.body.queues.find((q) => q.name === queue)?.stats.lastHour.enqueued).toBe(K);
  });

  it("exposes counters, depths and histograms in Prometheus text format", async () => {
    const response = await metrics();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const exposition = parseExposition(await response.text());
    const mine = { queue };
    expect(value(exposition, "edgeq_tasks_enqueued_total", mine)).toBe(K);
    expect(value(exposition, "edgeq_tasks_succeeded_total", mine)).toBe(K - J - D);
    expect(value(exposition, "edgeq_tasks_failed_total", mine)).toBe(J + D);
    expect(value(exposition, "edgeq_tasks_dead_total", mine)).toBe(D);
    expect(value(exposition, "edgeq_queue_depth", { queue, state: "delayed" })).toBe(J);
    expect(value(exposition, "edgeq_queue_depth", { queue, state: "dead" })).toBe(D);
    expect(value(exposition, "edgeq_queue_depth", { queue, state: "queued" })).toBe(0);
    expect(value(exposition, "edgeq_active_invocations", mine)).toBe(0);
    expect(value(exposition, "edgeq_oldest_task_age_seconds", mine)).toBe(0);
    expect(value(exposition, "edgeq_task_duration_seconds_count", mine)).toBe(K);
    expect(value(exposition, "edgeq_task_duration_seconds_bucket", { queue, le: "+Inf" })).toBe(K);
    expect(value(exposition, "edgeq_task_wait_seconds_count", mine)).toBe(K);
    expect(exposition.types.get("edgeq_task_duration_seconds")).toBe("histogram");
    expect(exposition.types.get("edgeq_tasks_enqueued_total")).toBe("counter");
    expect(exposition.types.get("edgeq_queue_depth")).toBe("gauge");
  });

  it("needs a token with the read scope", async () => {
    const none = await metrics(null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await metrics(TEST_TOKENS.enqueue)).status).toBe(403);
    expectProblem(await call("GET", "/metrics", { token: "enqueue" }), 403);
  });
});
