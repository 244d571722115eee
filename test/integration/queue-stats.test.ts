import { describe, expect, it } from "vitest";
import { queueKeyMap } from "../../src/queue/keys";
import { LATENCY_BOUNDS_MS } from "../../src/queue/stats/histogram";
import { testRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

const MINUTE = 60_000;

/** The bucket (0-based) a duration falls in, by the same rule as the scripts. */
function bucketOf(ms: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
  return i < 0 ? LATENCY_BOUNDS_MS.length : i;
}

describe("queue statistics kept by the scripts", () => {
  const { queue, advance, clock, prefix } = queueFixture();

  it("counts enqueued, succeeded, failed and dead per minute, with run-time and wait histograms", async () => {
    const q = queueName("stats");
    clock.now = Math.floor(clock.now / MINUTE) * MINUTE + 1_000; // well inside one minute
    const K = 10;
    await queue.enqueue(q, Array.from({ length: K }, (_, i) => ({ fn: "echo", input: i })));
    advance(2_000);
    const claimed = await queue.claim(q, K);
    expect(claimed).toHaveLength(K);
    expect((await queue.getStats(q)).activeInvocations).toBe(1);
    advance(30);
    const [ok, retry, dead] = [claimed.slice(0, 5), claimed.slice(5, 8), claimed.slice(8)];
    await queue.complete(q, ok.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
    advance(10);
    const failed = await queue.fail(q, [
      ...retry.map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "try again", retryable: true })),
      ...dead.map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "broken", retryable: false })),
    ]);
    expect(failed.map((f) => f.outcome)).toEqual(["retrying", "retrying", "retrying", "dead", "dead"]);

    const stats = await queue.getStats(q);
    expect(stats.lastHour).toEqual({ enqueued: K, succeeded: 5, failed: 5, dead: 2, canceled: 0, retried: 0 });
    const current = stats.minutes.at(-1)!;
    expect(stats.minutes).toHaveLength(61);
    expect(current.at).toBe(Math.floor(clock.now / MINUTE) * MINUTE);
    expect(current).toMatchObject({ enqueued: K, succeeded: 5, failed: 5, dead: 2 });
    expect(stats.minutes.slice(0, -1).every((m) => m.enqueued + m.succeeded + m.failed + m.dead === 0)).toBe(true);
    expect(stats.activeInvocations).toBe(0);

    // 5 attempts ran 30 ms, 5 ran 40 ms; every task waited 2 s before its first claim
    expect(stats.runTime.count).toBe(K);
    expect(stats.runTime.meanMs).toBe(35);
    expect(stats.runTime.p50).toBeGreaterThan(LATENCY_BOUNDS_MS[bucketOf(30) - 1]!);
    expect(stats.runTime.p99).toBeLessThanOrEqual(LATENCY_BOUNDS_MS[bucketOf(40)]!);
    expect(stats.wait).toMatchObject({ count: K, meanMs: 2_000 });
    expect(stats.wait.p50).toBeGreaterThan(LATENCY_BOUNDS_MS[bucketOf(2_000) - 1]!);
    expect(stats.wait.p50).toBeLessThanOrEqual(LATENCY_BOUNDS_MS[bucketOf(2_000)]!);
    expect(stats.totals.runTime.buckets[bucketOf(30)]).toBe(K);
    expect(stats.totals.runTime.sumMs).toBe(350);
    expect(stats.totals.wait.buckets[bucketOf(2_000)]).toBe(K);

    // retries are not first claims: their wait is not counted again, their run time is
    advance(60_000);
    await queue.upkeep(q);
    const again = await queue.claim(q, K);
    expect(again).toHaveLength(3);
    advance(5);
    await queue.complete(q, again.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: 1 })));
    const later = await queue.getStats(q);
    expect(later.wait.count).toBe(K);
    expect(later.runTime.count).toBe(K + 3);
    expect(later.lastHour).toMatchObject({ succeeded: 8, dead: 2 });
  });

  it("reports the oldest waiting task's age, and cancels and dead retries per minute", async () => {
    const q = queueName("oldest");
    expect((await queue.enqueue(q, [{ fn: "echo", input: 1 }])).length).toBe(1);
    advance(5_000);
    const [second] = await queue.enqueue(q, [{ fn: "echo", input: 2 }, { fn: "echo", input: 3, priority: 5 }]);
    expect((await queue.getStats(q)).oldestWaitingMs).toBe(5_000);
    advance(1_000);
    expect(await queue.cancel([second!.id])).toEqual([second!.id]);
    const claimed = await queue.claim(q, 10);
    expect(claimed).toHaveLength(2);
    const stats = await queue.getStats(q);
    expect(stats.oldestWaitingMs).toBeNull();
    expect(stats.lastHour.canceled).toBe(1);
    await queue.fail(q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "no", retryable: false })));
    advance(3_000);
    expect(await queue.retryDead(q)).toBe(2);
    advance(500);
    const afterRetry = await queue.getStats(q);
    expect(afterRetry.lastHour).toMatchObject({ dead: 2, retried: 2 });
    // a dead task sent back waits from its retry, not from its creation
    expect(afterRetry.oldestWaitingMs).toBe(500);
  });

  it("keeps a batch active while its lease is extended, and forgets it once settled", async () => {
    const q = queueName("active");
    await queue.enqueue(q, [{ fn: "echo", input: 1 }, { fn: "echo", input: 2 }]);
    const [a] = await queue.claim(q, 1);
    advance(1);
    const [b] = await queue.claim(q, 1);
    expect((await queue.getStats(q)).activeInvocations).toBe(2);
    advance(20_000);
    const [extended] = await queue.extendLeases(q, [{ id: a!.id, leaseToken: a!.leaseToken }]);
    advance(15_000); // b's lease has run out, a's was extended
    expect((await queue.getStats(q)).activeInvocations).toBe(1);
    await queue.complete(q, [{ id: a!.id, leaseToken: extended!.leaseToken!, result: null }]);
    expect((await queue.getStats(q)).activeInvocations).toBe(0);
    void b;
  });

  it("edits the batches in flight within a minute and drops a dead invocation's once its lease is ten minutes past", async () => {
    const q = queueName("inflight");
    clock.now = Math.floor(clock.now / MINUTE) * MINUTE + 1_000;
    await queue.enqueue(q, Array.from({ length: 6 }, (_, i) => ({ fn: "echo", input: i })));
    const batches = [];
    for (let i = 0; i < 5; i++) {
      advance(1);
      batches.push(await queue.claim(q, 1));
    }
    const field = async () => ((await testRedis().hget<string>(queueKeyMap(prefix, q).stats, "_a")) ?? "").split(",").filter(Boolean);
    expect(await field()).toHaveLength(5);
    advance(1);
    await queue.complete(q, [batches[1]![0]!, batches[3]![0]!].map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
    expect((await queue.getStats(q)).activeInvocations).toBe(3);
    expect(await field()).toHaveLength(3);
    // the other three invocations die; past their leases and ten minutes more, in a new minute, the
    // next write drops them
    advance(11 * MINUTE);
    const last = await queue.claim(q, 1);
    expect((await queue.getStats(q)).activeInvocations).toBe(1);
    expect(await field()).toHaveLength(1);
    await queue.complete(q, last.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
    expect(await field()).toEqual([]);
  });

  it("drops per-minute fields older than the hour and keeps the totals", async () => {
    const q = queueName("rollover");
    await queue.enqueue(q, [{ fn: "echo", input: 1 }]);
    advance(100);
    const [task] = await queue.claim(q, 1);
    advance(7);
    await queue.complete(q, [{ id: task!.id, leaseToken: task!.leaseToken, result: null }]);
    const statsKey = queueKeyMap(prefix, q).stats;
    const redis = testRedis();
    const before = await redis.hkeys(statsKey);
    const oldMinute = String(Math.floor(clock.now / MINUTE));
    expect(before.filter((f) => f.startsWith(`${oldMinute}:`)).sort()).toEqual(
      [`${oldMinute}:e`, `${oldMinute}:s`, `${oldMinute}:d${bucketOf(7) + 1}`, `${oldMinute}:ds`, `${oldMinute}:w${bucketOf(100) + 1}`, `${oldMinute}:ws`].sort(),
    );

    advance(61 * MINUTE);
    await queue.enqueue(q, [{ fn: "echo", input: 2 }]);
    await queue.claim(q, 1); // the first stats write of a new minute drops the old ones
    const after = await redis.hkeys(statsKey);
    expect(after.filter((f) => f.startsWith(`${oldMinute}:`))).toEqual([]);
    const stats = await queue.getStats(q);
    expect(stats.lastHour).toMatchObject({ enqueued: 1, succeeded: 0 });
    expect(stats.totals.runTime.count).toBe(1);
    expect(stats.totals.runTime.sumMs).toBe(7);
    expect(stats.totals.wait).toMatchObject({ count: 2, sumMs: 100 });
  });
});
