import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../../dev/stack";
import { createClient, type EdgeqClient } from "../../src/client/index";
import { checkOutcomes, enqueuePlanned, planTasks, settled } from "./chaos-plan";

// redis-server stopped and started again mid-drain, as an upgrade or a host restart does. With AOF
// on (appendonly yes, appendfsync everysec: what self-hosted users need; Upstash persists by
// itself), every acknowledged write survives: tasks, leases, results, and the QStash dev server's
// messages, which live in the same redis-server.
const TASKS = 4_000;

describe("redis-server restarted mid-drain with AOF on", () => {
  let stack: Stack;
  let client: EdgeqClient;
  beforeAll(async () => {
    stack = await startStack({ quiet: true, cronEverySeconds: 2, redisAppendOnly: true });
    client = createClient({ url: stack.info.workerUrl, token: stack.info.apiToken, retries: 10 });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  // SIGTERM: redis-server finishes its AOF and exits (an upgrade). SIGKILL: it dies at once (a
  // crash of the process, not of the machine): what it acknowledged was written to the AOF already,
  // and only the fsync is left to the kernel, so that survives too.
  it.each(["SIGTERM", "SIGKILL"] as const)("finishes every task after a %s restart: none lost, no stale result", async (signal) => {
    const queue = `restart-${signal.toLowerCase()}-${Date.now()}`;
    // Small batches so that the restart finds some tasks done, some running and some still queued.
    await client.updateQueue(queue, {
      batchSize: 20,
      maxParallel: 2,
      maxAttempts: 20,
      leaseMs: 3_000,
      backoff: { type: "exponential", baseMs: 100, maxMs: 1_000, jitter: 0.5 },
    });
    const tasks = planTasks(11, TASKS).filter((task) => task.plan !== "cancel");
    const ids = await enqueuePlanned(client, queue, tasks);

    const deadline = Date.now() + 60_000;
    let before = (await client.getQueue(queue)).counts;
    while ((before.succeeded ?? 0) < 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      before = (await client.getQueue(queue)).counts;
    }
    expect(before.succeeded).toBeGreaterThanOrEqual(200);
    expect(before.succeeded! + (before.dead ?? 0)).toBeLessThan(tasks.length);
    const pid = stack.redis.process.pid;
    await stack.restartRedis(signal, 1_000);
    expect(stack.redis.process.pid).not.toBe(pid);

    const counts = await settled(client, queue, tasks.length, 150_000);
    expect(counts.enqueued).toBe(tasks.length);
    // Counters kept across the restart: nothing done before it was forgotten.
    expect(counts.succeeded).toBeGreaterThanOrEqual(before.succeeded!);
    const { byStatus, staleResults } = await checkOutcomes(stack.info, ids, tasks);
    const planned = (plan: string) => tasks.filter((task) => task.plan === plan).length;
    expect(byStatus).toEqual({ succeeded: planned("succeed"), dead: planned("die") });
    expect(staleResults).toEqual([]);
  }, 240_000);
});
