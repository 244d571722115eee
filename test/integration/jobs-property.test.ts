/**
 * Exactly-once folding as a property (fast-check): random interleavings of claims, completions
 * (some with stale tokens), failures, lease expiry, retries out of the dead set, folds, and
 * folders that die or commit late. However they interleave, once everything has run the job has
 * folded each succeeded task's result exactly once and counted each dead task once.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createJobStore } from "../../src/queue/jobs/store";
import { defineJob } from "../../src/runtime/job";
import { type FoldDeps, foldQueue } from "../../src/runtime/jobs/fold";
import { planFold } from "../../src/runtime/jobs/plan";
import { mapTaskId } from "../../src/runtime/jobs/split";
import { taskIdOf } from "../../src/queue/ids";
import { createLogger } from "../../src/runtime/logger";
import type { FoldRound, JobState } from "../../src/queue/jobs/types";
import { rawTestRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

const fixture = queueFixture();
const tasks = fixture.queue;
const jobs = createJobStore(rawTestRedis(), { prefix: fixture.prefix, now: () => fixture.clock.now });
const N = 10;
const LEASE_MS = 5_000;

// Task i contributes 2^i: the sum names exactly which results were folded, and how often.
const bits = defineJob({
  name: "bits",
  input: z.unknown(),
  split: () => [],
  map: (i: number) => 2 ** i,
  initial: () => 0,
  reduce: (acc: number, part: number) => acc + part,
});
const deps: FoldDeps = {
  jobs,
  functions: { job: () => bits },
  clock: { now: () => Date.now() },
  log: createLogger("error", {}),
  onJobFailed: async () => {},
};

type Action =
  | { kind: "claim"; n: number }
  | { kind: "complete" | "fail"; pick: number; retryable: boolean }
  | { kind: "expire" }
  | { kind: "retryDead" }
  | { kind: "fold" }
  | { kind: "dieWhileFolding" }
  | { kind: "commitLate" }
  /** A folder reads a round, then something changes entries under it, then it commits. */
  | { kind: "foldAround"; inner: { kind: "complete" | "fail"; pick: number; retryable: boolean } | { kind: "retryDead" } };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("claim" as const), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constantFrom("complete" as const, "fail" as const), pick: fc.nat(), retryable: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "expire" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "retryDead" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "fold" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "dieWhileFolding" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "commitLate" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("foldAround" as const),
      inner: fc.oneof(
        fc.record({ kind: fc.constantFrom("complete" as const, "fail" as const), pick: fc.nat(), retryable: fc.boolean() }),
        fc.constant({ kind: "retryDead" as const }),
      ),
    }),
  },
);

let runs = 0;

async function run(actions: Action[]): Promise<void> {
  const queue = queueName("fold-prop");
  const jobId = `P${++runs}x${Date.now().toString(36)}`;
  await tasks.updateSettings(queue, { maxAttempts: 2, leaseMs: LEASE_MS, backoff: { type: "fixed", baseMs: 0, maxMs: 0, jitter: 0 } });
  // Every failure tolerated, so the job runs to the end whatever happens.
  await jobs.create({ id: jobId, fn: "bits", queue, input: null, total: N, maxFailures: N, acc: "0" });
  await tasks.enqueue(queue, Array.from({ length: N }, (_, i) => ({ fn: "bits", input: i, id: mapTaskId(jobId, i), jobId })));
  const tokens: { id: string; token: string; input: number }[] = [];
  const dying: FoldRound[] = [];

  const settle = async (kind: "complete" | "fail", pick: number, retryable: boolean) => {
    const held = tokens[pick % Math.max(1, tokens.length)];
    if (!held) return;
    if (kind === "complete") await tasks.complete(queue, [{ id: held.id, leaseToken: held.token, result: 2 ** held.input }]);
    else await tasks.fail(queue, [{ id: held.id, leaseToken: held.token, error: "boom", retryable }]);
  };
  for (const step of actions) {
    switch (step.kind) {
      case "claim":
        for (const t of await tasks.claim(queue, step.n)) tokens.push({ id: t.id, token: t.leaseToken, input: t.input as number });
        break;
      case "complete":
      case "fail":
        await settle(step.kind, step.pick, step.retryable);
        break;
      case "expire":
        fixture.advance(LEASE_MS + 1);
        await tasks.upkeep(queue);
        break;
      case "retryDead":
        await tasks.retryDead(queue);
        break;
      case "fold":
        await foldQueue(queue, deps, Date.now() + 5_000);
        break;
      case "dieWhileFolding": {
        // Takes a round with a 1 ms lease and never commits it (until "commitLate", maybe).
        const round = await jobs.takeFold(queue, 4, 1);
        if (typeof round !== "string" && !("busy" in round)) dying.push(round);
        await new Promise((resolve) => setTimeout(resolve, 3));
        break;
      }
      case "foldAround": {
        const round = await jobs.takeFold(queue, N, 10_000);
        if (step.inner.kind === "retryDead") await tasks.retryDead(queue);
        else await settle(step.inner.kind, step.inner.pick, step.inner.retryable);
        if (typeof round === "string" || "busy" in round) break;
        const [state] = await jobs.states([jobId]);
        const commits = planFold(round.events, new Map<string, JobState | null>([[jobId, state ?? null]]), () => bits);
        // Refused ("changed") when an entry it read was altered meanwhile; the lease is let go either way.
        expect(await jobs.commitFold(queue, round, commits)).not.toEqual({ ok: false, reason: "lease-lost" });
        break;
      }
      case "commitLate": {
        const round = dying.shift();
        if (!round) break;
        const [state] = await jobs.states([jobId]);
        const commits = planFold(round.events, new Map<string, JobState | null>([[jobId, state ?? null]]), () => bits);
        expect((await jobs.commitFold(queue, round, commits)).ok).toBe(false);
        break;
      }
    }
  }

  // Let everything run to its end: recover leases, complete whatever is claimed, fold.
  for (let round = 0; round < 20; round++) {
    const { counts } = await tasks.getQueue(queue);
    if (counts.queued + counts.delayed + counts.running === 0) break;
    fixture.advance(LEASE_MS + 1);
    await tasks.upkeep(queue);
    const claimed = await tasks.claim(queue, N);
    await tasks.complete(queue, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: 2 ** (t.input as number) })));
  }
  await foldQueue(queue, deps, Date.now() + 5_000);

  const records = await tasks.getMany(Array.from({ length: N }, (_, i) => taskIdOf(queue, mapTaskId(jobId, i))));
  const succeeded = records.flatMap((r, i) => (r?.status === "succeeded" ? [i] : []));
  const dead = records.filter((r) => r?.status === "dead").length;
  expect(succeeded.length + dead).toBe(N);
  const job = await jobs.get(jobId);
  expect(job).toMatchObject({ status: "succeeded", total: N, done: succeeded.length, failed: dead });
  expect(job?.result).toBe(succeeded.reduce((sum, i) => sum + 2 ** i, 0));
  expect(await jobs.takeFold(queue, 10, 1_000)).toBe("empty");
}

describe("exactly-once folding, property-based", () => {
  it("random interleavings of settles, deaths, retries, lease expiry and dying folders fold each result once", async () => {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 10, maxLength: 40 }), run), { numRuns: 25 });
  }, 60_000);
});
