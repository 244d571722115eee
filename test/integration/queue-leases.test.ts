import { describe, expect, it } from "vitest";
import type { EnqueueResult } from "../../src/queue/types";
import { queueFixture, queueName } from "./queue-fixture";

describe("queue core: leases, stale tokens, retries, dead letters", () => {
  const { queue, advance, clock } = queueFixture({
    defaults: { leaseMs: 10_000, maxAttempts: 3, backoff: { type: "exponential", baseMs: 1_000, maxMs: 3_000, jitter: 0 } },
  });

  it("refuses complete and fail with a wrong or stale token and writes nothing", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1 }]);
    const [task] = await queue.claim(q, 1);
    const wrong = [
      { id: task!.id, leaseToken: "1.zzzz", result: "forged" },
      { id: task!.id, leaseToken: task!.leaseToken.replace(/^1/, "2"), result: "forged" },
      { id: "unknown-task", leaseToken: task!.leaseToken, result: "forged" },
    ];
    expect((await queue.complete(q, wrong)).map((o) => o.outcome)).toEqual(["stale", "stale", "stale"]);
    expect(await queue.fail(q, [{ id: task!.id, leaseToken: "1.zzzz", error: "x", retryable: true }])).toEqual([{ id: task!.id, outcome: "stale" }]);
    expect(await queue.get(task!.id)).toMatchObject({ status: "running", attempts: 1 });
    expect((await queue.get(task!.id))?.result).toBeUndefined();
    expect(await queue.get("unknown-task")).toBeNull();
    // the right token still works, once
    expect((await queue.complete(q, [{ id: task!.id, leaseToken: task!.leaseToken, result: "real" }]))[0]!.outcome).toBe("succeeded");
    expect((await queue.complete(q, [{ id: task!.id, leaseToken: task!.leaseToken, result: "again" }]))[0]!.outcome).toBe("stale");
    expect((await queue.get(task!.id))?.result).toBe("real");
  });

  it("reclaims an expired lease; the old worker's late complete is refused and the new one's result stands", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1 }]);
    const [first] = await queue.claim(q, 1);
    advance(9_999);
    expect(await queue.upkeep(q)).toMatchObject({ requeued: 0 });
    advance(1);
    expect(await queue.upkeep(q)).toMatchObject({ requeued: 1, dead: 0 });
    const record = await queue.get(first!.id);
    expect(record).toMatchObject({ status: "queued", attempts: 1, errors: ["lease expired (attempt 1)"] });
    const [second] = await queue.claim(q, 1);
    expect(second).toMatchObject({ id: first!.id, attempt: 2 });
    expect(second!.leaseToken).not.toBe(first!.leaseToken);
    expect((await queue.complete(q, [{ id: first!.id, leaseToken: first!.leaseToken, result: "stale worker" }]))[0]!.outcome).toBe("stale");
    expect((await queue.complete(q, [{ id: second!.id, leaseToken: second!.leaseToken, result: "new worker" }]))[0]!.outcome).toBe("succeeded");
    expect((await queue.get(first!.id))?.result).toBe("new worker");
    expect((await queue.getQueue(q)).counts).toMatchObject({ succeeded: 1, failed: 1, running: 0, queued: 0 });
  });

  it("sends a task whose last lease expires to dead", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1, maxAttempts: 1 }]);
    const [task] = await queue.claim(q, 1);
    advance(10_000);
    expect(await queue.upkeep(q)).toMatchObject({ requeued: 0, dead: 1 });
    expect(await queue.get(task!.id)).toMatchObject({ status: "dead", error: "lease expired (attempt 1)" });
    expect((await queue.listDead(q)).map((t) => t.id)).toEqual([task!.id]);
  });

  it("extends leases, keeping the token; a token of another claim stays stale; an extended lease is not reclaimed", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1 }, { fn: "f", input: 2 }]);
    const [a, b] = await queue.claim(q, 2);
    advance(8_000);
    const extended = await queue.extendLeases(q, [
      { id: a!.id, leaseToken: a!.leaseToken },
      { id: b!.id, leaseToken: "1.wrong" },
    ], 20_000);
    expect(extended[0]).toMatchObject({ id: a!.id, leaseUntil: clock.now + 20_000 });
    expect(extended[0]!.leaseToken).toBe(a!.leaseToken); // a lost extension reply cannot orphan the result
    expect(extended[1]).toEqual({ id: b!.id, leaseToken: null, leaseUntil: null });
    advance(2_000);
    expect(await queue.upkeep(q)).toMatchObject({ requeued: 1 }); // b only
    expect((await queue.get(a!.id))?.status).toBe("running");
    const [b2] = await queue.claim(q, 1);
    expect(b2).toMatchObject({ id: b!.id, attempt: 2 });
    expect((await queue.extendLeases(q, [{ id: b!.id, leaseToken: b!.leaseToken }]))[0]!.leaseToken).toBeNull();
    expect((await queue.complete(q, [{ id: b!.id, leaseToken: b!.leaseToken, result: 0 }]))[0]!.outcome).toBe("stale");
    expect((await queue.complete(q, [{ id: a!.id, leaseToken: extended[0]!.leaseToken!, result: 1 }]))[0]!.outcome).toBe("succeeded");
  });

  it("never gives a task a lease shorter than its timeout", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1, timeoutMs: 60_000 }]);
    const [task] = await queue.claim(q, 1);
    expect(task).toMatchObject({ timeoutMs: 60_000, leaseUntil: clock.now + 60_000 });
    advance(30_000);
    expect(await queue.upkeep(q)).toMatchObject({ requeued: 0 });
  });

  it("retries failures with exponential backoff, capped, then dead-letters with every attempt's error", async () => {
    const q = queueName();
    await queue.updateSettings(q, { maxAttempts: 4 });
    const [{ id }] = (await queue.enqueue(q, [{ fn: "f", input: 1 }])) as [EnqueueResult];
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const [task] = await queue.claim(q, 1);
      expect(task).toMatchObject({ id, attempt, maxAttempts: 4 });
      const [outcome] = await queue.fail(q, [{ id, leaseToken: task!.leaseToken, error: `boom ${attempt}`, retryable: true }]);
      if (attempt < 4) {
        expect(outcome!.outcome).toBe("retrying");
        const runAt = (outcome as { runAt: number }).runAt;
        delays.push(runAt - clock.now);
        expect(await queue.get(id)).toMatchObject({ status: "delayed", runAt, error: `boom ${attempt}` });
        advance(runAt - clock.now - 1);
        expect(await queue.claim(q, 1)).toEqual([]);
        advance(1);
      } else {
        expect(outcome).toEqual({ id, outcome: "dead" });
      }
    }
    expect(delays).toEqual([1_000, 2_000, 3_000]);
    const dead = await queue.get(id);
    expect(dead).toMatchObject({ status: "dead", attempts: 4, error: "boom 4", errors: ["boom 1", "boom 2", "boom 3", "boom 4"] });
    expect((await queue.getQueue(q)).counts).toMatchObject({ failed: 4, dead: 1, running: 0, delayed: 0 });
  });

  it("draws jitter within the configured share and uses fixed backoff when asked", async () => {
    const q = queueName();
    await queue.updateSettings(q, { maxAttempts: 2, backoff: { type: "exponential", baseMs: 10_000, maxMs: 10_000, jitter: 0.5 } });
    await queue.enqueue(q, Array.from({ length: 40 }, (_, i) => ({ fn: "f", input: i })));
    const claimed = await queue.claim(q, 40);
    const outcomes = await queue.fail(q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "e", retryable: true })));
    const delays = outcomes.map((o) => (o as { runAt: number }).runAt - clock.now);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(10_000);
    expect(new Set(delays).size).toBeGreaterThan(1);

    const f = queueName();
    await queue.updateSettings(f, { backoff: { type: "fixed", baseMs: 700, jitter: 0 } });
    await queue.enqueue(f, [{ fn: "f", input: 1 }]);
    for (let i = 0; i < 2; i++) {
      const [task] = await queue.claim(f, 1);
      const [o] = await queue.fail(f, [{ id: task!.id, leaseToken: task!.leaseToken, error: "e", retryable: true }]);
      expect((o as { runAt: number }).runAt - clock.now).toBe(700);
      advance(700);
    }
  });

  it("sends a non-retryable failure straight to dead, whatever attempts remain", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1, maxAttempts: 10 }]);
    const [task] = await queue.claim(q, 1);
    expect(await queue.fail(q, [{ id: task!.id, leaseToken: task!.leaseToken, error: "unknown function f", retryable: false }]))
      .toEqual([{ id: task!.id, outcome: "dead" }]);
    expect(await queue.get(task!.id)).toMatchObject({ status: "dead", attempts: 1, errors: ["unknown function f"] });
  });

  it("settleAndClaim completes, fails and claims the next batch in one call", async () => {
    const q = queueName();
    await queue.enqueue(q, Array.from({ length: 6 }, (_, i) => ({ fn: "f", input: i })));
    const first = await queue.claim(q, 3);
    const { outcomes, claimed } = await queue.settleAndClaim(q, {
      completions: [{ id: first[0]!.id, leaseToken: first[0]!.leaseToken, result: "r0" }, { id: first[1]!.id, leaseToken: "1.bad", result: "x" }],
      failures: [{ id: first[2]!.id, leaseToken: first[2]!.leaseToken, error: "e", retryable: false }],
    }, 10);
    expect(outcomes.map((o) => o.outcome)).toEqual(["succeeded", "stale", "dead"]);
    expect(claimed.map((t) => t.input)).toEqual([3, 4, 5]);
    expect((await queue.getQueue(q)).counts).toMatchObject({ running: 4, succeeded: 1, dead: 1, queued: 0 });
  });

  it("keeps the lease check of a batch whose task was claimed again within the same ms (dead, retried)", async () => {
    const q = queueName();
    await queue.enqueue(q, [0, 1].map((input) => ({ fn: "f", input, id: `twice-${input}` })));
    const [first, second] = await queue.claim(q, 2);
    await queue.fail(q, [{ id: first!.id, leaseToken: first!.leaseToken, error: "boom", retryable: false }]);
    expect(await queue.retryDead(q)).toBe(1);
    // the clock has not moved: this batch's sweep entry has the tag of the first one, and must add to it
    expect((await queue.claim(q, 1)).map((t) => t.id)).toEqual([first!.id]);
    advance(60_000);
    expect(await queue.upkeep(q)).toMatchObject({ requeued: 2 });
    expect((await queue.getMany([first!.id, second!.id])).map((r) => r?.status)).toEqual(["queued", "queued"]);
  });
});
