import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClaimedTask } from "../../src/queue/types";
import { queueFixture, queueName } from "./queue-fixture";
import { QueueModel } from "./queue-model";

const TASKS = 200;
const WORKERS = 4;
const LEASE = 1_000;

/**
 * Workers that die at random points between claim and complete: right after the claim, part way
 * through a batch, or with results computed but never sent. Upkeep reclaims their leases; in the
 * end every task is succeeded (or dead after exhausting its attempts), none lost, and every result
 * was written by the lease current at the time.
 */
describe("queue core: crashing workers", () => {
  const { queue, clock, advance, prefix } = queueFixture({
    defaults: { leaseMs: LEASE, maxAttempts: 4, backoff: { type: "exponential", baseMs: 50, maxMs: 200, jitter: 0 } },
  });

  it("finishes everything after reclaim, losing nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.infiniteStream(fc.nat(99)), async (random) => {
        const draw = random[Symbol.iterator]();
        const roll = () => draw.next().value as number;
        const name = queueName("crash");
        const model = new QueueModel();
        for (let i = 0; i < TASKS; i += 50) {
          const created = await queue.enqueue(name, Array.from({ length: 50 }, (_, j) => ({ fn: "f", input: i + j })));
          created.forEach((r) => model.add(r.id, 0, 4, 0, clock.now));
        }
        const adopt = (claimed: ClaimedTask[]) => {
          for (const c of claimed) Object.assign(model.tasks.get(c.id)!, { state: "r", attempts: c.attempt, token: c.leaseToken, leaseUntil: c.leaseUntil });
        };
        let crashes = 0;
        for (let step = 0; step < 400 && model.inState("q", "d", "r").length > 0; step++) {
          const worker = step % WORKERS;
          model.promote(clock.now);
          const batch = await queue.claim(name, 1 + (roll() % 25));
          adopt(batch);
          // tasks before the crash point are settled, the rest vanish with the worker
          const crashAt = roll() < 30 ? roll() % (batch.length + 1) : batch.length;
          if (crashAt < batch.length) crashes++;
          const done = batch.slice(0, crashAt);
          const failing = done.filter(() => roll() < 10);
          const succeeding = done.filter((t) => !failing.includes(t));
          const results = succeeding.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: `w${worker}:${t.leaseToken}` }));
          if (roll() < 15) results.length = 0; // computed, then died before sending
          const outcomes = await queue.settleAndClaim(name, {
            completions: results,
            failures: failing.map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "flaky", retryable: true })),
          }, 0);
          outcomes.outcomes.forEach((o, i) => {
            const t = model.tasks.get(o.id)!;
            if (i < results.length) {
              expect(o.outcome).toBe("succeeded");
              Object.assign(t, { state: "s", token: null, result: results[i]!.result });
            } else {
              expect(o.outcome).toMatch(/retrying|dead/);
              Object.assign(t, o.outcome === "dead" ? { state: "x", token: null } : { state: "d", token: null, runAt: (o as { runAt: number }).runAt });
            }
          });
          advance(150);
          if (step % 5 === 4) {
            model.promote(clock.now);
            const { requeued, dead } = model.reclaim(clock.now);
            expect(await queue.upkeep(name, 10_000)).toMatchObject({ requeued, dead });
          }
        }
        expect(crashes).toBeGreaterThan(0);
        expect(model.inState("q", "d", "r")).toEqual([]);
        await model.checkAgainst(queue, prefix, name, clock.now);
        const records = await queue.getMany([...model.tasks.keys()]);
        for (const record of records) {
          expect(record!.status === "succeeded" || record!.status === "dead").toBe(true);
          // the result names the lease that wrote it: always the task's last attempt
          if (record!.status === "succeeded") expect(String(record!.result).split(":")[1]!.split(".")[0]).toBe(String(record!.attempts));
        }
        const { counts } = await queue.getQueue(name);
        expect(counts.succeeded + counts.dead).toBe(TASKS);
      }),
      { numRuns: 3, endOnFailure: true },
    );
  });
});
