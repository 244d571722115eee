import { describe, expect, it } from "vitest";
import { QueueNotFoundError } from "../../src/queue/index";
import { partitionKeys, recordLocation } from "../../src/queue/keys";
import { dedupPartitionOf, taskIdOf } from "../../src/queue/ids";
import { testRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

describe("queue core: cancel, expiry, dead letters, settings, counters", () => {
  const { queue, advance, prefix, another } = queueFixture({ defaults: { resultTtlMs: 5_000, leaseMs: 1_000, dedupWindowMs: 2_000 } });
  const raw = testRedis({ automaticDeserialization: false });

  it("cancels queued (any priority) and delayed tasks, not running or finished ones", async () => {
    const q = queueName();
    const created = await queue.enqueue(q, [
      { fn: "f", input: "plain" },
      { fn: "f", input: "urgent", priority: 3 },
      { fn: "f", input: "later", delayMs: 500 },
      { fn: "f", input: "keep" },
      { fn: "f", input: "run" },
    ]);
    const [plain, urgent, later, keep, run] = created.map((r) => r.id) as [string, string, string, string, string];
    await queue.cancel([keep]);
    const running = await queue.claim(q, 1); // the priority task comes first: it is running when canceled below
    expect(running[0]!.id).toBe(urgent);
    const canceled = await queue.cancel([plain, later, urgent, "no-such-task", plain]);
    expect(canceled.sort()).toEqual([later, plain].sort());
    expect((await queue.get(plain))?.status).toBe("canceled");
    expect((await queue.get(urgent))?.status).toBe("running");
    expect((await queue.getQueue(q)).counts).toMatchObject({ queued: 1, delayed: 0, running: 1, canceled: 3 });
    advance(500);
    expect((await queue.claim(q, 10)).map((t) => t.id)).toEqual([run]);
    expect((await queue.getQueue(q)).counts).toMatchObject({ queued: 0, delayed: 0, running: 2 });
    expect(await queue.cancel([plain])).toEqual([]);
  });

  it("keeps results for resultTtlMs, then get answers null and upkeep deletes the record", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1 }, { fn: "f", input: 2 }]);
    const tasks = await queue.claim(q, 2);
    await queue.complete(q, [{ id: tasks[0]!.id, leaseToken: tasks[0]!.leaseToken, result: "r" }]);
    advance(4_999);
    expect((await queue.get(tasks[0]!.id))?.result).toBe("r");
    advance(1);
    expect(await queue.get(tasks[0]!.id)).toBeNull();
    const at = recordLocation(prefix, tasks[0]!.id);
    expect(await raw.hexists(at.key, at.field)).toBe(1);
    const up = await queue.upkeep(q);
    expect(up).toMatchObject({ expired: 1, requeued: 1 });
    expect(await raw.hexists(at.key, at.field)).toBe(0);
    expect((await queue.get(tasks[1]!.id))?.status).toBe("queued");
  });

  it("sweeps dedup keys once their window has passed", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1, dedupKey: "k1" }, { fn: "f", input: 2, dedupKey: "k,2" }]);
    // each key's entry is a field of its hashed partition's records hash (ids.ts dedupPartitionOf)
    const entries = async () =>
      Promise.all(["k1", "k,2"].map((key) => raw.hexists(partitionKeys(prefix, q, dedupPartitionOf(key))[0], `=${key}`)));
    expect(await entries()).toEqual([1, 1]);
    advance(1_999);
    await queue.upkeep(q);
    expect(await entries()).toEqual([1, 1]);
    // swept within the second after the window (a 1/64th of a longer window: scripts/enqueue.ts)
    advance(1_000);
    await queue.upkeep(q);
    expect(await entries()).toEqual([0, 0]);
  });

  it("lists dead tasks newest first, retries one, some or all with fresh attempts, and purges", async () => {
    const q = queueName();
    const ids = (await queue.enqueue(q, Array.from({ length: 6 }, (_, i) => ({ fn: "f", input: i })))).map((r) => r.id);
    for (const task of await queue.claim(q, 6)) {
      advance(1);
      await queue.fail(q, [{ id: task.id, leaseToken: task.leaseToken, error: `bad ${task.input}`, retryable: false }]);
    }
    expect((await queue.listDead(q)).map((t) => t.input)).toEqual([5, 4, 3, 2, 1, 0]);
    expect((await queue.listDead(q, { offset: 1, limit: 2 })).map((t) => t.input)).toEqual([4, 3]);
    expect(await queue.retryDead(q, [ids[0]!])).toBe(1);
    expect(await queue.get(ids[0]!)).toMatchObject({ status: "queued", attempts: 0, errors: ["bad 0"] });
    expect(await queue.retryDead(q, [ids[1]!, ids[2]!, ids[0]!, "no-such-task"])).toBe(2);
    expect(await queue.purgeDead(q, [ids[3]!])).toBe(1);
    expect(await queue.get(ids[3]!)).toBeNull();
    expect((await queue.getQueue(q)).counts).toMatchObject({ dead: 2, queued: 3 });
    expect(await queue.retryDead(q)).toBe(2);
    const again = await queue.claim(q, 10);
    expect(again.map((t) => t.input).sort()).toEqual([0, 1, 2, 4, 5]);
    expect(again.every((t) => t.attempt === 1)).toBe(true);
    for (const task of again) await queue.fail(q, [{ id: task.id, leaseToken: task.leaseToken, error: "x", retryable: false }]);
    expect(await queue.purgeDead(q)).toBe(5);
    expect(await queue.listDead(q)).toEqual([]);
    expect((await queue.getQueue(q)).counts).toMatchObject({ enqueued: 6, dead: 0, queued: 0, running: 0, failed: 11 });
  });

  it("retries and purges a dead set larger than one script call", async () => {
    const q = queueName();
    await queue.enqueue(q, Array.from({ length: 2_100 }, (_, i) => ({ fn: "f", input: i, maxAttempts: 1 })));
    await queue.claim(q, 2_100);
    advance(1_000);
    let up = await queue.upkeep(q, 10_000);
    expect(up.dead).toBe(2_100);
    expect(await queue.retryDead(q)).toBe(2_100);
    await queue.claim(q, 2_100);
    advance(1_000);
    up = await queue.upkeep(q, 10_000);
    expect(await queue.purgeDead(q)).toBe(2_100);
    expect((await queue.getQueue(q)).counts).toMatchObject({ dead: 0, running: 0, queued: 0 });
  });

  it("bounds upkeep per call and says when more is left", async () => {
    const q = queueName();
    await queue.enqueue(q, Array.from({ length: 250 }, (_, i) => ({ fn: "f", input: i, delayMs: 10 })));
    advance(10);
    const first = await queue.upkeep(q, 100);
    expect(first).toMatchObject({ promoted: 100, more: true });
    expect((await queue.upkeep(q, 100)).promoted).toBe(100);
    expect(await queue.upkeep(q, 100)).toMatchObject({ promoted: 50, more: false });
  });

  it("stores settings in Redis, validates them, and registers queues for listQueues", async () => {
    const q = queueName();
    await expect(queue.getQueue(q)).rejects.toBeInstanceOf(QueueNotFoundError);
    const settings = await queue.updateSettings(q, { maxAttempts: 7, backoff: { type: "fixed", baseMs: 50, maxMs: 50, jitter: 0 }, batchSize: 25, maxParallel: 4 });
    expect(settings).toMatchObject({ maxAttempts: 7, batchSize: 25, maxParallel: 4, backoff: { type: "fixed", baseMs: 50 }, resultTtlMs: 5_000 });
    expect((await another().getQueue(q)).settings).toEqual(settings);
    expect((await queue.listQueues()).map((s) => s.name)).toContain(q);
    await expect(queue.updateSettings(q, { maxAttempts: 0 })).rejects.toMatchObject({ field: "maxAttempts" });
    await expect(queue.updateSettings(q, { backoff: { jitter: 2 } })).rejects.toMatchObject({ field: "backoff.jitter" });
    await expect(queue.updateSettings(q, { paused: "yes" as never })).rejects.toMatchObject({ field: "paused" });
    expect((await queue.getQueue(q)).settings.maxAttempts).toBe(7);
  });

  it("falls back to EVAL after the script cache is flushed", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1 }]);
    await raw.scriptFlush();
    expect((await queue.claim(q, 1)).map((t) => t.input)).toEqual([1]);
  });

  it("works with a client left at its defaults (automatic deserialization, base64 replies)", async () => {
    const q = queueName();
    const plain = another({}, {});
    const ids = ["123", "true", "null", "1e3", `${q}-x`];
    await plain.enqueue(q, ids.map((id, i) => ({ fn: "f", input: { i, s: "123" }, id })));
    const claimed = await plain.claim(q, 10);
    const full = ids.map((id) => taskIdOf(q, id));
    // every task once, each with its own input; their order is by partition (a hashed id may share
    // the partition of an earlier one, and is then claimed beside it), not by place in the call
    expect(claimed.map((t) => t.id).sort()).toEqual([...full].sort());
    for (const task of claimed) expect(task.input).toEqual({ i: full.indexOf(task.id), s: "123" });
    await plain.complete(q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: "42" })));
    expect((await plain.getMany(full)).map((r) => r?.result)).toEqual(ids.map(() => "42"));
    expect(await plain.getMany(["absent-1", "absent-2"])).toEqual([null, null]);
    expect((await plain.getQueue(q)).counts.succeeded).toBe(5);
  });
});
