/**
 * Pushes through the real QStash dev server: follow-ups when backlog remains (signed for
 * /v1/work, checked with the real Receiver), enqueue pushes deduplicated per epoch, a push chain that
 * drains a queue with no cron, and the cron publishing pushes.
 */
import { randomBytes } from "node:crypto";
import { Receiver as SignatureReceiver } from "@upstash/qstash";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { functions } from "../../functions/index";
import { createTaskQueue } from "../../src/queue/index";
import type { TaskQueue } from "../../src/queue/types";
import type { Clock } from "../../src/runtime/budget";
import { defineFunction } from "../../src/runtime/function";
import { createLogger } from "../../src/runtime/logger";
import { clientsFromEnv } from "../../src/runtime/clients";
import { publishEnqueuePush } from "../../src/runtime/enqueue-push";
import { handlePush } from "../../src/runtime/push";
import { registry } from "../../src/runtime/registry";
import { handleScheduled } from "../../src/runtime/scheduled";
import { startPushWorker } from "../support/push-worker";
import { sleep, startReceiver, type Receiver } from "../support/qstash-receiver";
import { queueName } from "../support/names";
import { rawTestRedis, testKeyspace } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";

const keys = testKeyspace("rt-push");
afterAll(keys.cleanup);

let receiver: Receiver;
let tasks: TaskQueue;
const log = createLogger("error", {}, () => {});
const signatures = () =>
  new SignatureReceiver({ currentSigningKey: inject("qstashCurrentSigningKey"), nextSigningKey: inject("qstashNextSigningKey") });

/** A public URL on the loopback receiver; pushes to it arrive at `path`. */
function endpoint() {
  const base = `/${randomBytes(6).toString("hex")}`;
  return { publicUrl: `${receiver.base}${base}`, path: `${base}/v1/work` };
}

/**
 * A clock that moves forward by hand, and by 1 ms per reading so that elapsed time is never zero.
 * It starts a second into the current minute: push dedup ids carry the minute, and a test must
 * not see them change because the wall clock crossed a minute while it ran.
 */
function steppingClock() {
  let now = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
  const clock: Clock & { advance(ms: number): void } = { now: () => now++, advance: (ms) => void (now += ms) };
  return clock;
}

beforeAll(async () => {
  receiver = await startReceiver();
  tasks = createTaskQueue(rawTestRedis(), { prefix: keys.prefix });
});
afterAll(async () => {
  await receiver.close();
});

describe("pushes through the QStash dev server", () => {
  it("publishes follow-up pushes when backlog remains, up to maxParallel, signed for /v1/work", async () => {
    const queue = queueName("follow");
    const { publicUrl, path } = endpoint();
    const clock = steppingClock();
    // Each task takes "a second" of the injected clock, so the 2.5 s budget ends after one batch of 4.
    const tick = defineFunction({ name: "tick", input: z.unknown(), run: () => void clock.advance(1_000) });
    await tasks.enqueue(queue, Array.from({ length: 20 }, () => ({ fn: "tick", input: null })));
    await tasks.updateSettings(queue, { batchSize: 4, maxParallel: 3 });

    const report = await handlePush(testEnv(publicUrl, keys.prefix), { queue }, {
      functions: registry([tick]), clock, log, budget: { softMs: 2_500, hardMs: 60_000 },
    });

    expect(report).toMatchObject({ queue, claimed: 4, succeeded: 4, published: 3 });
    const deliveries = await receiver.waitFor(path, 3);
    for (const delivery of deliveries) {
      expect(JSON.parse(delivery.body)).toEqual({ queue });
      const signature = String(delivery.headers["upstash-signature"]);
      await expect(signatures().verify({ signature, body: delivery.body, url: `${publicUrl}/v1/work` })).resolves.toBe(true);
    }
    // Repeated decisions under one epoch reuse the same dedup ids: QStash drops the copies.
    await sleep(300);
    expect(receiver.deliveriesTo(path)).toHaveLength(3);
  });

  it("collapses a burst of enqueue pushes into one until a worker starts, then pushes again", async () => {
    const queue = queueName("push");
    const { publicUrl, path } = endpoint();
    const env = testEnv(publicUrl, keys.prefix);
    await tasks.enqueue(queue, Array.from({ length: 5 }, (_, n) => ({ fn: "echo", input: n })));

    const clock = steppingClock();
    const burst = await Promise.all(Array.from({ length: 20 }, () => publishEnqueuePush(clientsFromEnv(env, { log }), queue, { clock })));
    expect(burst.reduce((sum, n) => sum + n, 0)).toBe(1);
    await receiver.waitFor(path, 1);

    // A worker starting (here: run directly) spends the epoch; the next enqueue's push is new.
    expect(await handlePush(env, { queue }, { functions, log })).toMatchObject({ claimed: 5, succeeded: 5, published: 0 });
    await tasks.enqueue(queue, [{ fn: "echo", input: "late" }]);
    expect(await publishEnqueuePush(clientsFromEnv(env, { log }), queue, { clock })).toBe(1);
    await receiver.waitFor(path, 2);

    await tasks.updateSettings(queue, { paused: true });
    expect(await publishEnqueuePush(clientsFromEnv(env, { log }), queue, { clock })).toBe(0);
    await sleep(300);
    expect(receiver.deliveriesTo(path)).toHaveLength(2);
  });

  it("pushes with what the enqueue script read as it would with a read of its own (same epoch, same settings)", async () => {
    const queue = queueName("peek");
    const { publicUrl, path } = endpoint();
    const env = testEnv(publicUrl, keys.prefix);
    const clock = steppingClock();
    const first = await tasks.enqueueAndPeek(queue, [{ fn: "echo", input: 1 }]);
    expect(first.results).toHaveLength(1);
    expect(first.pushInfo).toEqual({ paused: false, maxParallel: 10, pushEpoch: 0, live: false });
    expect(await publishEnqueuePush(clientsFromEnv(env, { log }), queue, { clock, pushInfo: first.pushInfo! })).toBe(1);
    // The same dedup id as a push that reads the epoch itself: QStash drops the copy.
    expect(await publishEnqueuePush(clientsFromEnv(env, { log }), queue, { clock })).toBe(0);
    await receiver.waitFor(path, 1);

    expect(await handlePush(env, { queue }, { functions, log })).toMatchObject({ claimed: 1, succeeded: 1 });
    await tasks.updateSettings(queue, { maxParallel: 3, paused: true });
    const second = await tasks.enqueueAndPeek(queue, [{ fn: "echo", input: 2 }]);
    expect(second.pushInfo).toEqual({ paused: true, maxParallel: 3, pushEpoch: 1, live: false });
    expect(await publishEnqueuePush(clientsFromEnv(env, { log }), queue, { clock, pushInfo: second.pushInfo! })).toBe(0);
    await sleep(300);
    expect(receiver.deliveriesTo(path)).toHaveLength(1);
  });

  it("hands tasks its upkeep reclaimed to a push of their own (upkeep runs beside the first batch, not before it)", async () => {
    const queue = queueName("reclaim");
    const { publicUrl, path } = endpoint();
    await tasks.enqueue(queue, [{ fn: "echo", input: 1 }, { fn: "echo", input: 2 }]);
    // A worker that claimed both and died: its one-second leases run out.
    const lost = await tasks.claim(queue, 2, 1_000);
    expect(lost).toHaveLength(2);
    await sleep(1_100);
    const report = await handlePush(testEnv(publicUrl, keys.prefix), { queue }, { functions, log });
    expect(report).toMatchObject({ claimed: 0 });
    expect(report.published).toBeGreaterThanOrEqual(1);
    expect((await tasks.getQueue(queue)).counts).toMatchObject({ queued: 2, running: 0 });
    await receiver.waitFor(path, 1);
  });

  it("never throws from an enqueue push, even when QStash is unreachable", async () => {
    const queue = queueName("unreachable");
    await tasks.enqueue(queue, [{ fn: "echo", input: 1 }]);
    const env = { ...testEnv(`${receiver.base}/x`, keys.prefix), QSTASH_URL: "http://127.0.0.1:9" };
    expect(await publishEnqueuePush(clientsFromEnv(env, { log }), queue)).toBe(0);
  });

  it("drains a backlog by a chain of pushes alone, within the queue's parallelism", async () => {
    const queue = queueName("chain");
    const total = 300;
    const ids = (await tasks.enqueue(queue, Array.from({ length: total }, (_, n) => ({ fn: "echo", input: n })))).map((r) => r.id);
    await tasks.updateSettings(queue, { batchSize: 20, maxParallel: 4 });
    // A soft budget of zero: each invocation runs exactly one batch, then hands the rest on.
    const worker = await startPushWorker({ log, clock: steppingClock(), budget: { softMs: 0, hardMs: 30_000 } }, keys.prefix);
    try {
      expect(await publishEnqueuePush(clientsFromEnv(worker.env, { log }), queue)).toBe(1);
      const deadline = Date.now() + 30_000;
      while ((await tasks.getQueue(queue)).counts.succeeded < total) {
        if (Date.now() > deadline) throw new Error("the push chain did not drain the queue within 30 s");
        await sleep(50);
      }
      const records = await tasks.getMany(ids);
      expect(records.every((record, n) => record?.status === "succeeded" && record.result === n)).toBe(true);
      expect(worker.rejected).toEqual([]);
      // The last invocations report after their final settle, a moment after the counts say done.
      const claimedSoFar = () => worker.reports.filter((r) => r.queue === queue).reduce((sum, r) => sum + r.claimed, 0);
      for (const until = Date.now() + 5_000; claimedSoFar() < total && Date.now() < until; ) await sleep(20);
      const mine = worker.reports.filter((report) => report.queue === queue);
      expect(mine.reduce((sum, report) => sum + report.claimed, 0)).toBe(total);
      expect(mine.filter((report) => report.claimed > 0).length).toBeGreaterThanOrEqual(total / 20);
      expect(worker.maxConcurrent()).toBeLessThanOrEqual(4);
    } finally {
      await worker.close();
    }
  });

  it("runs retries in backoff and delayed tasks by delayed pushes alone, with no cron", async () => {
    const queue = queueName("delayed");
    const [flaky, later] = await tasks.enqueue(queue, [
      { fn: "flaky", input: { failures: 1 } },
      // Due well after the retry, so only its own delayed push can run it.
      { fn: "echo", input: "later", delayMs: 2_500 },
    ]);
    await tasks.updateSettings(queue, { backoff: { type: "fixed", baseMs: 1_000, maxMs: 1_000, jitter: 0 } });
    const delayed = await tasks.get(later?.id as string);
    expect(delayed?.status).toBe("delayed");
    const worker = await startPushWorker({ log }, keys.prefix);
    try {
      expect(await publishEnqueuePush(clientsFromEnv(worker.env, { log }), queue, { dueAt: [delayed?.runAt as number] })).toBe(2);
      const deadline = Date.now() + 15_000;
      while ((await tasks.getQueue(queue)).counts.succeeded < 2) {
        if (Date.now() > deadline) throw new Error("retry and delayed task did not run within 15 s");
        await sleep(100);
      }
      expect(await tasks.get(flaky?.id as string)).toMatchObject({ status: "succeeded", attempts: 2 });
      expect(await tasks.get(later?.id as string)).toMatchObject({ status: "succeeded", attempts: 1, result: "later" });
      const mine = worker.reports.filter((report) => report.queue === queue);
      expect(mine.reduce((sum, report) => sum + report.retrying, 0)).toBe(1);
      expect(worker.rejected).toEqual([]);
    } finally {
      await worker.close();
    }
  });

  it("brings back the tasks of a crashed invocation by pushes alone, with no cron", async () => {
    const queue = queueName("crash");
    const ids = (await tasks.enqueue(queue, Array.from({ length: 3 }, (_, n) => ({ fn: "echo", input: n })))).map((r) => r.id);
    await tasks.updateSettings(queue, { leaseMs: 1_000 });
    // A worker claims two tasks and dies without settling them.
    expect(await tasks.claim(queue, 2)).toHaveLength(2);
    const worker = await startPushWorker({ log }, keys.prefix);
    try {
      expect(await publishEnqueuePush(clientsFromEnv(worker.env, { log }), queue)).toBe(1);
      const deadline = Date.now() + 15_000;
      while ((await tasks.getQueue(queue)).counts.succeeded < 3) {
        if (Date.now() > deadline) throw new Error("the crashed invocation's tasks did not come back within 15 s");
        await sleep(100);
      }
      const records = await tasks.getMany(ids);
      expect(records.map((record) => record?.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
      expect(records.map((record) => record?.attempts).sort()).toEqual([1, 2, 2]);
      expect(worker.reports.filter((report) => report.queue === queue).length).toBeGreaterThanOrEqual(2);
    } finally {
      await worker.close();
    }
  });

  it("the cron publishes pushes for a backlog and drains a batch itself", async () => {
    const queue = queueName("cron");
    const { publicUrl, path } = endpoint();
    await tasks.enqueue(queue, Array.from({ length: 10 }, (_, n) => ({ fn: "echo", input: n })));
    await tasks.updateSettings(queue, { batchSize: 5, maxParallel: 2 });

    const reports = await handleScheduled(testEnv(publicUrl, keys.prefix), {
      queues: [queue], functions, log, clock: steppingClock(), budget: { softMs: 0, hardMs: 30_000 },
    });

    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ queue, claimed: 5, succeeded: 5 });
    const published = reports[0]?.published ?? 0;
    expect(published).toBeGreaterThanOrEqual(2);
    expect(published).toBeLessThanOrEqual(4);
    await receiver.waitFor(path, published);
    expect((await tasks.getQueue(queue)).counts).toMatchObject({ queued: 5, succeeded: 5 });
  });
});
