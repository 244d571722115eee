/**
 * The batch runner through the real queue core, REST server and redis-server: mixed functions end
 * succeeded or dead as they should, flaky retries, a slow task keeps its lease, and batches chain.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functions } from "../../functions/index";
import { createTaskQueue } from "../../src/queue/index";
import type { EnqueueRequest, TaskQueue } from "../../src/queue/types";
import { defineFunction } from "../../src/runtime/function";
import { createLogger } from "../../src/runtime/logger";
import { handlePush } from "../../src/runtime/push";
import { registry } from "../../src/runtime/registry";
import { handleScheduled } from "../../src/runtime/scheduled";
import { sleep, startReceiver, type Receiver } from "../support/qstash-receiver";
import { queueName } from "../support/names";
import { rawTestRedis, testKeyspace } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";

const keys = testKeyspace("rt-batch");
afterAll(keys.cleanup);

let receiver: Receiver;
let tasks: TaskQueue;
const logLines: string[] = [];
const log = createLogger("debug", {}, (line) => logLines.push(line));
// Pushes published by these tests land on a loopback receiver that only records them.
const env = () => testEnv(`${receiver.base}/ignored`, keys.prefix);
const logsOf = (taskId: string) => logLines.map((line) => JSON.parse(line)).filter((entry) => entry.taskId === taskId);

beforeAll(async () => {
  receiver = await startReceiver();
  tasks = createTaskQueue(rawTestRedis(), { prefix: keys.prefix });
});
afterAll(async () => {
  await receiver.close();
});

async function enqueue(queue: string, requests: EnqueueRequest[], settings: Parameters<TaskQueue["updateSettings"]>[1]) {
  const ids = (await tasks.enqueue(queue, requests)).map((result) => result.id);
  await tasks.updateSettings(queue, settings);
  return ids;
}

/** Runs the cron handler for one queue until nothing is left queued, delayed or running. */
async function sweepUntilIdle(queue: string, rounds = 30): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const { counts } = await tasks.getQueue(queue);
    if (counts.queued + counts.delayed + counts.running === 0) return;
    await handleScheduled(env(), { queues: [queue], functions, log });
  }
  throw new Error(`queue ${queue} still busy after ${rounds} sweeps`);
}

function sha256Chain(payload: string, rounds: number): string {
  let digest = createHash("sha256").update(payload).digest();
  for (let round = 2; round <= rounds; round++) digest = createHash("sha256").update(digest).digest();
  return digest.toString("hex");
}

describe("runtime over the real queue core", () => {
  it("runs a batch of mixed functions: each task ends succeeded or dead as expected", async () => {
    const queue = queueName("mixed");
    const cases: { request: EnqueueRequest; status: "succeeded" | "dead"; attempts: number; result?: unknown; error?: RegExp }[] = [
      { request: { fn: "echo", input: { hello: "world" } }, status: "succeeded", attempts: 1, result: { hello: "world" } },
      { request: { fn: "count-primes", input: { from: 0, to: 1_000 } }, status: "succeeded", attempts: 1, result: { from: 0, to: 1_000, count: 168 } },
      { request: { fn: "count-primes", input: { from: 1_000, to: 2_000 } }, status: "succeeded", attempts: 1, result: { from: 1_000, to: 2_000, count: 135 } },
      { request: { fn: "hash-chain", input: { payload: "edgeq", rounds: 50 } }, status: "succeeded", attempts: 1, result: { rounds: 50, sha256: sha256Chain("edgeq", 50) } },
      { request: { fn: "word-frequencies", input: { text: "b a b" } }, status: "succeeded", attempts: 1, result: { words: 3, distinct: 2, frequencies: { b: 2, a: 1 } } },
      { request: { fn: "flaky", input: { failures: 1, value: 7 } }, status: "succeeded", attempts: 2, result: { attempt: 2, value: 7 } },
      { request: { fn: "flaky", input: { failures: 9 } }, status: "dead", attempts: 3, error: /attempt 3 of 9 planned failures/ },
      { request: { fn: "no-such-fn", input: {} }, status: "dead", attempts: 1, error: /unknown function "no-such-fn"/ },
      { request: { fn: "count-primes", input: { from: 9, to: 1 } }, status: "dead", attempts: 1, error: /invalid input for "count-primes"[\s\S]*to must be >= from/ },
      { request: { fn: "hash-chain", input: { payload: 1, rounds: 0 } }, status: "dead", attempts: 1, error: /invalid input for "hash-chain"/ },
    ];
    const ids = await enqueue(queue, cases.map((c) => c.request), {
      maxAttempts: 3,
      batchSize: 4,
      backoff: { type: "fixed", baseMs: 0, maxMs: 0, jitter: 0 },
    });

    await sweepUntilIdle(queue);

    const records = await tasks.getMany(ids);
    cases.forEach((expected, index) => {
      const record = records[index];
      expect(record, `${expected.request.fn} #${index}`).toMatchObject({ status: expected.status, attempts: expected.attempts });
      if (expected.result !== undefined) expect(record?.result).toEqual(expected.result);
      if (expected.error) expect(record?.error).toMatch(expected.error);
    });
    const { counts } = await tasks.getQueue(queue);
    expect(counts).toMatchObject({ queued: 0, delayed: 0, running: 0, dead: 4, succeeded: 6 });
  });

  it("flaky shows its retries: failed attempts logged with taskId, queue, attempt and durationMs", async () => {
    const queue = queueName("flaky");
    const [id] = await enqueue(queue, [{ fn: "flaky", input: { failures: 2 } }], {
      maxAttempts: 5,
      backoff: { type: "fixed", baseMs: 0, maxMs: 0, jitter: 0 },
    });
    await sweepUntilIdle(queue);

    expect(await tasks.get(id as string)).toMatchObject({ status: "succeeded", attempts: 3, result: { attempt: 3, value: null } });
    const lines = logsOf(id as string);
    const failed = lines.filter((line) => line.msg === "task failed");
    expect(failed.map((line) => line.attempt)).toEqual([1, 2]);
    for (const line of failed) {
      expect(line).toMatchObject({ level: "warn", queue, fn: "flaky", retryable: true });
      expect(line.error).toMatch(/failing on purpose/);
      expect(typeof line.durationMs).toBe("number");
    }
    expect(lines.filter((line) => line.msg === "task succeeded").map((line) => line.attempt)).toEqual([3]);
  });

  it("extends the lease of a slow task so that nobody else can take it over", async () => {
    const queue = queueName("slow");
    const slow = defineFunction({
      name: "slow",
      input: z.object({ ms: z.int() }),
      run: ({ ms }) => sleep(ms).then(() => "done"),
    });
    const [id] = await enqueue(queue, [{ fn: "slow", input: { ms: 2_600 } }], { leaseMs: 1_000 });

    const push = handlePush(env(), { queue }, { functions: registry([slow]), log });
    // Well past the first lease: without extensions, upkeep would requeue the task and a claim get it.
    await sleep(1_700);
    const upkeep = await tasks.upkeep(queue);
    const stolen = await tasks.claim(queue, 10);
    expect(upkeep.requeued).toBe(0);
    expect(stolen).toEqual([]);

    expect(await push).toMatchObject({ claimed: 1, succeeded: 1, stale: 0, dead: 0 });
    expect(await tasks.get(id as string)).toMatchObject({ status: "succeeded", attempts: 1, result: "done" });
    const finished = logLines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "invocation finished" && entry.queue === queue);
    expect(finished.leaseExtensions).toBeGreaterThanOrEqual(2);
  });

  it("chains full batches in one invocation (settle and claim in one request) until the queue is empty", async () => {
    const queue = queueName("chain");
    const ids = await enqueue(queue, Array.from({ length: 12 }, (_, n) => ({ fn: "echo", input: n })), { batchSize: 4, maxParallel: 1 });
    const report = await handlePush(env(), { queue }, { functions, log });
    expect(report).toMatchObject({ queue, claimed: 12, succeeded: 12, retrying: 0, dead: 0, stale: 0 });
    const finished = logLines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "invocation finished" && entry.queue === queue);
    expect(finished.batches).toBe(3);
    const records = await tasks.getMany(ids);
    expect(records.map((record) => record?.result)).toEqual(Array.from({ length: 12 }, (_, n) => n));
  });

  it("pushes for others on a full batch only when more than one more batch waits: one batch its own next claim takes", async () => {
    const pushesFor = (queue: string) => receiver.deliveriesTo("/ignored/v1/work").filter((delivery) => (JSON.parse(delivery.body) as { queue: string }).queue === queue);
    // 8 tasks in batches of 4: the first full batch leaves one batch, which this invocation claims next
    const alone = queueName("alone");
    await enqueue(alone, Array.from({ length: 8 }, (_, n) => ({ fn: "echo", input: n })), { batchSize: 4, maxParallel: 4 });
    expect(await handlePush(env(), { queue: alone }, { functions, log })).toMatchObject({ claimed: 8, succeeded: 8 });
    // 20: the first full batch leaves four, three of them for other invocations (maxParallel 4 less this one)
    const helped = queueName("helped");
    await enqueue(helped, Array.from({ length: 20 }, (_, n) => ({ fn: "echo", input: n })), { batchSize: 4, maxParallel: 4 });
    await handlePush(env(), { queue: helped }, { functions, log });
    const started = Date.now();
    while (pushesFor(helped).length === 0 && Date.now() - started < 10_000) await sleep(20);
    expect(pushesFor(helped).length).toBeGreaterThanOrEqual(1);
    // helped's pushes went out after alone's invocation ended: any of alone's would be here by now
    // (its lease-check push is delayed by the lease, far past this test)
    expect(pushesFor(alone)).toHaveLength(0);
  });

  it("stops after the budget's batch cap (the Workers subrequest limit) and hands the rest on", async () => {
    const queue = queueName("cap");
    await enqueue(queue, Array.from({ length: 10 }, (_, n) => ({ fn: "echo", input: n })), { batchSize: 2, maxParallel: 2 });
    const report = await handlePush(env(), { queue }, { functions, log, budget: { softMs: 60_000, hardMs: 60_000, maxBatches: 2 } });
    expect(report).toMatchObject({ claimed: 4, succeeded: 4 });
    expect(report.published).toBeGreaterThanOrEqual(1);
    expect((await tasks.getQueue(queue)).counts).toMatchObject({ queued: 6, running: 0, succeeded: 4 });
  });

  it("answers a push for a queue that does not exist with an empty report", async () => {
    expect(await handlePush(env(), { queue: queueName("ghost") }, { functions, log })).toMatchObject({ claimed: 0, published: 0 });
  });
});
