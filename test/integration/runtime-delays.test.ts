/**
 * Delayed tasks and retries run on time by wake-up pushes alone: no cron tick exists in this file
 * (nothing calls handleScheduled), so every run below was started by a QStash delivery. A burst of
 * delays costs one push per distinct due second; seconds one nudge did not wake (it asks for at most
 * MAX_WAKE_UPS) are carried by a chain: each invocation asks for a wake-up at the earliest delayed
 * task it left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTaskQueue } from "../../src/queue/index";
import type { TaskQueue } from "../../src/queue/types";
import { clientsFromEnv } from "../../src/runtime/clients";
import { publishEnqueuePush } from "../../src/runtime/enqueue-push";
import { createLogger } from "../../src/runtime/logger";
import { queueName } from "../support/names";
import { startPushWorker } from "../support/push-worker";
import { sleep } from "../support/qstash-receiver";
import { rawTestRedis, testKeyspace } from "../support/redis-client";

let tasks: TaskQueue;
const log = createLogger("error", {}, () => {});
const keys = testKeyspace("rt-delays");
afterAll(keys.cleanup);

beforeAll(() => {
  tasks = createTaskQueue(rawTestRedis(), { prefix: keys.prefix });
});

async function waitForSucceeded(queue: string, count: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while ((await tasks.getQueue(queue)).counts.succeeded < count) {
    if (Date.now() > deadline) throw new Error(`${count} tasks of ${queue} did not succeed within ${withinMs} ms`);
    await sleep(100);
  }
}

describe("delays and retries with no cron", () => {
  let worker: Awaited<ReturnType<typeof startPushWorker>>;
  beforeAll(async () => {
    worker = await startPushWorker({ log }, keys.prefix);
  });
  afterAll(async () => {
    await worker.close();
  });
  // the reports of every claim (they may come after the tasks' settles)
  const reportsClaiming = (queue: string, claimed: number) =>
    worker.reportsOf(queue, (mine) => mine.reduce((sum, report) => sum + report.claimed, 0) >= claimed);

  it("runs a burst of delayed tasks with one wake-up push per distinct due second, none before it is due", async () => {
    const queue = queueName("burst");
    const seconds = 3;
    // Ten tasks per distinct second, clear of second boundaries.
    const base = (Math.floor(Date.now() / 1_000) + 1) * 1_000 + 300;
    const requests = Array.from({ length: seconds * 10 }, (_, n) => ({ fn: "echo", input: n, runAt: base + Math.floor(n / 10) * 1_000 + (n % 10) * 20 }));
    const results = await tasks.enqueue(queue, requests);
    expect(results.map((result) => [result.status, result.runAt])).toEqual(requests.map((request) => ["delayed", request.runAt]));

    // What the enqueue route asks for: wake-ups only (nothing can run now), one per distinct second.
    const wakeAt = results.map((result) => result.runAt as number);
    expect(await publishEnqueuePush(clientsFromEnv(worker.env, { log }), queue, { dueAt: wakeAt, readyNow: false })).toBe(seconds);
    await waitForSucceeded(queue, requests.length, 15_000);

    const records = await tasks.getMany(results.map((result) => result.id));
    for (const record of records) expect(record!.startedAt!).toBeGreaterThanOrEqual(record!.runAt!);
    const mine = await reportsClaiming(queue, requests.length);
    expect(mine.reduce((sum, report) => sum + report.claimed, 0)).toBe(requests.length);
    expect(mine.length).toBeLessThanOrEqual(seconds);
    expect(worker.rejected).toEqual([]);
  });

  it("chains wake-ups: an invocation asks for one at the earliest delayed task it leaves behind", async () => {
    const queue = queueName("chain");
    const base = (Math.floor(Date.now() / 1_000) + 1) * 1_000 + 300;
    const [first, second] = await tasks.enqueue(queue, [
      { fn: "echo", input: "first", runAt: base },
      { fn: "echo", input: "second", runAt: base + 1_000 },
    ]);
    // A wake-up for the first task only (as a nudge that capped its wake-ups at MAX_WAKE_UPS would
    // leave later seconds out): only the first invocation's own wake-up can run the second.
    expect(await publishEnqueuePush(clientsFromEnv(worker.env, { log }), queue, { dueAt: [first!.runAt!], readyNow: false })).toBe(1);
    await waitForSucceeded(queue, 2, 15_000);
    expect(await tasks.get(second!.id)).toMatchObject({ status: "succeeded", result: "second" });
    const mine = await reportsClaiming(queue, 2);
    expect(mine.map((report) => report.claimed)).toEqual([1, 1]);
    expect(mine[0]!.published).toBe(1);
  });

  it("runs a retry waiting for its backoff by its own wake-up push", async () => {
    const queue = queueName("retry");
    await tasks.updateSettings(queue, { backoff: { type: "fixed", baseMs: 1_500, maxMs: 1_500, jitter: 0 } });
    const [flaky] = await tasks.enqueue(queue, [{ fn: "flaky", input: { failures: 2 } }]);
    expect(await publishEnqueuePush(clientsFromEnv(worker.env, { log }), queue)).toBe(1);
    await waitForSucceeded(queue, 1, 15_000);
    const record = await tasks.get(flaky!.id);
    expect(record).toMatchObject({ status: "succeeded", attempts: 3 });
    const mine = await reportsClaiming(queue, 3);
    expect(mine.reduce((sum, report) => sum + report.retrying, 0)).toBe(2);
    // No cron here: any invocation after the first was started by a wake-up push. An invocation still
    // draining when a backoff ends claims that retry itself, so there are two or three of them.
    expect(mine.filter((report) => report.claimed > 0).length).toBeGreaterThanOrEqual(2);
  });
});
