import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../dev/stack";
import { createClient, type EdgeqClient, type QueueCounts, type TaskRequest } from "../../src/client/index";
import { readTasks } from "./stack-fixture";

// The whole system as a user runs it: tasks enqueued over HTTP are drained by QStash pushes and the
// cron stand-in alone (no manual trigger), on the local stack.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function primesBelow(limit: number): boolean[] {
  const composite = new Array<boolean>(limit).fill(false);
  for (let i = 2; i * i < limit; i++) if (!composite[i]) for (let j = i * i; j < limit; j += i) composite[j] = true;
  return composite;
}

async function enqueueAll(client: EdgeqClient, queue: string, tasks: TaskRequest[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < tasks.length; i += 250) ids.push(...(await client.enqueueMany(queue, tasks.slice(i, i + 250))).ids);
  return ids;
}

/** Waits until every task of the queue is settled; fails with the counts if that takes too long. */
async function drained(client: EdgeqClient, queue: string, total: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let counts: Partial<QueueCounts> = {};
  while (Date.now() < deadline) {
    counts = (await client.getQueue(queue)).counts;
    const settled = (counts.succeeded ?? 0) + (counts.dead ?? 0);
    if (settled >= total && !counts.queued && !counts.delayed && !counts.running) return counts;
    await sleep(500);
  }
  throw new Error(`queue ${queue} not drained in ${timeoutMs} ms: ${JSON.stringify(counts)}`);
}

describe("draining on the local stack with QStash pushes and the cron trigger", () => {
  let stack: Stack;
  let client: EdgeqClient;
  beforeAll(async () => {
    stack = await startStack({ quiet: true, cronEverySeconds: 2 });
    client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("drains 1,000 tasks of mixed functions: every task succeeded or dead as expected, retries with backoff", async () => {
    const queue = `mixed-${Date.now()}`;
    await client.updateQueue(queue, {
      batchSize: 50,
      maxParallel: 4,
      maxAttempts: 3,
      backoff: { type: "exponential", baseMs: 300, maxMs: 5_000, jitter: 0 },
    });
    const tasks: TaskRequest[] = [];
    for (let i = 0; i < 500; i++) tasks.push({ fn: "echo", input: { i } });
    for (let i = 0; i < 200; i++) tasks.push({ fn: "count-primes", input: { from: i * 1000, to: i * 1000 + 1000 } });
    for (let i = 0; i < 200; i++) tasks.push({ fn: "hash-chain", input: { payload: `p${i}`, rounds: 50 } });
    for (let i = 0; i < 60; i++) tasks.push({ fn: "flaky", input: { failures: 2, value: i } });
    for (let i = 0; i < 40; i++) tasks.push({ fn: "flaky", input: { failures: 5, value: i } });
    const ids = await enqueueAll(client, queue, tasks);
    expect(new Set(ids).size).toBe(1000);

    const counts = await drained(client, queue, 1000, 150_000);
    expect(counts.succeeded).toBe(960);
    expect(counts.dead).toBe(40);

    const settled = await readTasks(client, ids);
    const composite = primesBelow(200_000);
    settled.forEach((task, index) => {
      const sent = tasks[index]!;
      const input = sent.input as Record<string, number>;
      if (sent.fn === "echo") expect(task).toMatchObject({ status: "succeeded", attempts: 1, result: { i: input.i } });
      if (sent.fn === "count-primes") {
        let expected = 0;
        for (let n = Math.max(2, input.from!); n < input.to!; n++) if (!composite[n]) expected++;
        expect(task).toMatchObject({ status: "succeeded", result: { count: expected } });
      }
      if (sent.fn === "hash-chain") expect(task.status).toBe("succeeded");
      if (sent.fn === "flaky" && input.failures === 2) {
        expect(task).toMatchObject({ status: "succeeded", attempts: 3, result: { attempt: 3, value: input.value } });
        // two failures waited out their backoff (300 ms, then 600 ms, no jitter) before the success
        expect(task.finishedAt! - task.createdAt).toBeGreaterThanOrEqual(900);
      }
      if (sent.fn === "flaky" && input.failures === 5) {
        expect(task).toMatchObject({ status: "dead", attempts: 3 });
        expect(task.errors).toHaveLength(3);
        expect(task.error).toMatch(/failing on purpose: attempt 3/);
      }
    });
  }, 240_000);

  it("loses nothing when the worker process is killed mid-batch and restarted", async () => {
    const queue = `crash-${Date.now()}`;
    await client.updateQueue(queue, { batchSize: 20, maxParallel: 2, leaseMs: 3_000 });
    const tasks: TaskRequest[] = Array.from({ length: 300 }, (_, i) => ({
      fn: "hash-chain",
      input: { payload: `k${i}`, rounds: 2_000 },
      // a lease lasts at least the task's timeout: keep it short so the killed batch comes back soon
      timeout: "4s",
    }));
    const ids = await enqueueAll(client, queue, tasks);

    // kill once some work is done and some is still in flight (held in a batch of the process)
    const deadline = Date.now() + 60_000;
    const inFlight = async () => {
      const { counts } = await client.getQueue(queue);
      return counts.succeeded! >= 40 && counts.running! > 0;
    };
    while (!(await inFlight()) && Date.now() < deadline) await sleep(50);
    const before = (await client.getQueue(queue)).counts;
    expect(before.succeeded! + before.dead!).toBeLessThan(300);
    await stack.restartWorker(0);

    const counts = await drained(client, queue, 300, 150_000);
    expect(counts).toMatchObject({ succeeded: 300, dead: 0 });
    const settled = await readTasks(client, ids);
    expect(settled.every((task) => task.status === "succeeded")).toBe(true);
    const digests = new Set(settled.map((task) => (task.result as { sha256: string }).sha256));
    expect(digests.size).toBe(300);
    // The kill hit: tasks the killed process held were lost with it and ran again after their lease.
    expect(settled.filter((task) => task.attempts >= 2).length).toBeGreaterThan(0);
  }, 240_000);
});
