import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { queueFixture, queueName } from "./queue-fixture";
import { QueueModel } from "./queue-model";

type Action =
  | { kind: "enqueue"; tasks: { priority: number; delay: number; maxAttempts: number }[] }
  | { kind: "claim"; worker: number; n: number }
  | { kind: "complete" | "extend"; worker: number; pick: number }
  | { kind: "fail"; worker: number; pick: number; retryable: boolean }
  | { kind: "settleAndClaim"; worker: number; n: number }
  | { kind: "advance"; ms: number }
  | { kind: "upkeep" }
  | { kind: "cancel"; pick: number }
  | { kind: "crash"; worker: number }
  /** A worker that lost its lease (paused process, network) comes back with an old token. */
  | { kind: "replay"; pick: number; fail: boolean; running: boolean };

const worker = fc.nat(2);
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("enqueue" as const),
      tasks: fc.array(fc.record({ priority: fc.constantFrom(0, 0, 0, 2, 7, -4), delay: fc.constantFrom(0, 0, 0, 300, 1_500), maxAttempts: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 5 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("claim" as const), worker, n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom("complete" as const, "extend" as const), worker, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("fail" as const), worker, pick: fc.nat(), retryable: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("settleAndClaim" as const), worker, n: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(100, 400, 1_000, 2_500) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("upkeep" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const), worker }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("replay" as const), pick: fc.nat(), fail: fc.boolean(), running: fc.boolean() }) },
);

const LEASE = 1_000;
const backoff = (attempt: number) => Math.min(1_000, 100 * 2 ** (attempt - 1));

/**
 * Random interleavings of enqueue / claim / complete / fail / extend / lease expiry / upkeep /
 * cancel / worker crash across three simulated workers, each step checked against a model.
 */
describe("queue core: property-based interleavings", () => {
  const { queue, clock, advance, prefix } = queueFixture({
    defaults: { leaseMs: LEASE, backoff: { type: "exponential", baseMs: 100, maxMs: 1_000, jitter: 0 } },
  });

  it("loses no task, keeps each in one state, refuses stale leases, and ends every task succeeded, dead or canceled", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 20, maxLength: 50, size: "max" }), async (actions) => {
        const name = queueName("prop");
        const model = new QueueModel();
        const held: { id: string; token: string }[][] = [[], [], []];
        let writes = 0;
        const issued: { id: string; token: string }[] = [];

        const claimInto = (w: number, claimed: { id: string; leaseToken: string; leaseUntil: number; attempt: number }[], n: number) => {
          const claimable = model.inState("q");
          expect(claimed.length).toBe(Math.min(n, claimable.length));
          const ids = new Set(claimed.map((c) => c.id));
          const rest = claimable.filter((t) => !ids.has(t.id));
          for (const c of claimed) {
            const t = model.tasks.get(c.id)!;
            expect(t.state).toBe("q");
            for (const other of rest) expect(t.priority).toBeGreaterThanOrEqual(other.priority);
            Object.assign(t, { state: "r", attempts: t.attempts + 1, token: c.leaseToken, leaseUntil: c.leaseUntil });
            expect(c.attempt).toBe(t.attempts);
            held[w]!.push({ id: c.id, token: c.leaseToken });
            issued.push({ id: c.id, token: c.leaseToken });
          }
        };
        const settleCompletion = (id: string, token: string, outcome: string, result: string) => {
          const valid = model.valid(id, token);
          expect(outcome).toBe(valid ? "succeeded" : "stale");
          if (valid) Object.assign(model.tasks.get(id)!, { state: "s", token: null, result });
        };
        const take = (w: number, pick: number) => (held[w]!.length ? held[w]!.splice(pick % held[w]!.length, 1)[0]! : null);

        for (const a of actions) {
          switch (a.kind) {
            case "enqueue": {
              const results = await queue.enqueue(name, a.tasks.map((t, i) => ({ fn: "f", input: i, priority: t.priority, delayMs: t.delay || undefined, maxAttempts: t.maxAttempts })));
              results.forEach((r, i) => model.add(r.id, a.tasks[i]!.priority, a.tasks[i]!.maxAttempts, clock.now + a.tasks[i]!.delay, clock.now));
              break;
            }
            case "claim":
              model.promote(clock.now);
              claimInto(a.worker, await queue.claim(name, a.n), a.n);
              break;
            case "settleAndClaim": {
              const mine = held[a.worker]!.splice(0);
              const completions = mine.map((h) => ({ id: h.id, leaseToken: h.token, result: `w${a.worker}:${h.token}:${++writes}` }));
              const { outcomes, claimed } = await queue.settleAndClaim(name, { completions, failures: [] }, a.n);
              // the script claims first (promoting due tasks only when it claims), then settles
              if (a.n > 0) model.promote(clock.now);
              claimInto(a.worker, claimed, a.n);
              outcomes.forEach((o, i) => settleCompletion(o.id, completions[i]!.leaseToken, o.outcome, completions[i]!.result));
              break;
            }
            case "complete": {
              const h = take(a.worker, a.pick);
              if (!h) break;
              const result = `w${a.worker}:${h.token}:${++writes}`;
              const [o] = await queue.complete(name, [{ id: h.id, leaseToken: h.token, result }]);
              settleCompletion(h.id, h.token, o!.outcome, result);
              break;
            }
            case "fail": {
              const h = take(a.worker, a.pick);
              if (!h) break;
              const [o] = await queue.fail(name, [{ id: h.id, leaseToken: h.token, error: "boom", retryable: a.retryable }]);
              const t = model.tasks.get(h.id)!;
              if (!model.valid(h.id, h.token)) expect(o!.outcome).toBe("stale");
              else if (a.retryable && t.attempts < t.maxAttempts) {
                expect(o).toEqual({ id: h.id, outcome: "retrying", runAt: clock.now + backoff(t.attempts) });
                Object.assign(t, { state: "d", token: null, runAt: clock.now + backoff(t.attempts) });
              } else {
                expect(o!.outcome).toBe("dead");
                Object.assign(t, { state: "x", token: null });
              }
              break;
            }
            case "extend": {
              const list = held[a.worker]!;
              if (!list.length) break;
              const h = list[a.pick % list.length]!;
              const [e] = await queue.extendLeases(name, [{ id: h.id, leaseToken: h.token }]);
              if (model.valid(h.id, h.token)) {
                expect(e!.leaseUntil).toBe(clock.now + LEASE);
                Object.assign(model.tasks.get(h.id)!, { token: e!.leaseToken, leaseUntil: e!.leaseUntil });
                h.token = e!.leaseToken!;
                issued.push({ id: h.id, token: h.token });
              } else expect(e!.leaseToken).toBeNull();
              break;
            }
            case "advance":
              advance(a.ms);
              break;
            case "upkeep": {
              const promoted = model.promote(clock.now);
              const { requeued, dead } = model.reclaim(clock.now);
              expect(await queue.upkeep(name, 10_000)).toMatchObject({ promoted, requeued, dead, more: false });
              break;
            }
            case "cancel": {
              const ids = [...model.tasks.keys()];
              if (!ids.length) break;
              const id = ids[a.pick % ids.length]!;
              const t = model.tasks.get(id)!;
              const cancelable = t.state === "q" || t.state === "d";
              expect(await queue.cancel([id])).toEqual(cancelable ? [id] : []);
              if (cancelable) t.state = "c";
              break;
            }
            case "crash":
              held[a.worker] = [];
              break;
            case "replay": {
              // half the replays aim at tasks running now, most likely under a newer lease
              const pool = a.running ? issued.filter((i) => model.tasks.get(i.id)!.state === "r") : issued;
              if (!pool.length) break;
              const old = pool[a.pick % pool.length]!;
              const valid = model.valid(old.id, old.token);
              if (a.fail) {
                const [o] = await queue.fail(name, [{ id: old.id, leaseToken: old.token, error: "late", retryable: false }]);
                expect(o!.outcome).toBe(valid ? "dead" : "stale");
                if (valid) Object.assign(model.tasks.get(old.id)!, { state: "x", token: null });
              } else {
                const result = `replay:${old.token}:${++writes}`;
                const [o] = await queue.complete(name, [{ id: old.id, leaseToken: old.token, result }]);
                settleCompletion(old.id, old.token, o!.outcome, result);
              }
              break;
            }
          }
          await model.checkAgainst(queue, prefix, name, clock.now);
        }

        // drain: leases run out, upkeep reclaims, a fresh worker finishes everything
        for (let round = 0; round < 20 && model.inState("q", "d", "r").length > 0; round++) {
          advance(2_500);
          model.promote(clock.now);
          model.reclaim(clock.now);
          await queue.upkeep(name, 10_000);
          const claimed = await queue.claim(name, 1_000);
          claimInto(0, claimed, 1_000);
          const outcomes = await queue.complete(name, claimed.map((c) => ({ id: c.id, leaseToken: c.leaseToken, result: `final:${c.leaseToken}` })));
          outcomes.forEach((o, i) => settleCompletion(o.id, claimed[i]!.leaseToken, o.outcome, `final:${claimed[i]!.leaseToken}`));
          held[0] = [];
        }
        await model.checkAgainst(queue, prefix, name, clock.now);
        expect(model.inState("q", "d", "r")).toEqual([]);
      }),
      { numRuns: 20, endOnFailure: true },
    );
  });
});
