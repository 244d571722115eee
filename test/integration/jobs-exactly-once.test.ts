/**
 * Exactly-once folding under at-least-once delivery, acted out step by step on the real queue core
 * and job store: duplicate and stale completions, lease expiry, folders that die or replay their
 * commit, folders racing, deaths undone by a retry out of the dead set.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createJobStore } from "../../src/queue/jobs/store";
import type { TaskCompletion } from "../../src/queue/types";
import { defineJob } from "../../src/runtime/job";
import { cancelPendingTasks } from "../../src/runtime/jobs/cancel";
import { type FoldDeps, foldQueue } from "../../src/runtime/jobs/fold";
import { mapTaskId } from "../../src/runtime/jobs/split";
import { taskIdOf } from "../../src/queue/ids";
import { createLogger } from "../../src/runtime/logger";
import { queueFixture, queueName } from "./queue-fixture";
import { rawTestRedis } from "../support/redis-client";

const fixture = queueFixture();
const { queue: tasks, prefix } = fixture;
const jobs = createJobStore(rawTestRedis(), { prefix, now: () => fixture.clock.now });

// Task i contributes i + 1: the sum 1 + ... + n shows a result folded twice or missed.
const sum = defineJob({
  name: "sum",
  input: z.object({ n: z.int() }),
  split: ({ n }) => Array.from({ length: n }, (_, i) => i),
  map: (i: number) => i + 1,
  initial: () => 0,
  reduce: (acc: number, part: number) => acc + part,
});
const expectedSum = (n: number) => (n * (n + 1)) / 2;

const failedJobs: string[] = [];
const deps: FoldDeps = {
  jobs,
  functions: { job: (name) => (name === "sum" ? sum : undefined) },
  clock: { now: () => Date.now() },
  log: createLogger("error", {}),
  onJobFailed: async (id, queue, total) => {
    failedJobs.push(id);
    await cancelPendingTasks({ id, queue, total }, { tasks, jobs });
  },
};
const fold = (queue: string) => foldQueue(queue, deps, Date.now() + 10_000);

let jobCounter = 0;
/** A running job of n tasks, all enqueued (as the splitter would), on a fresh queue. */
async function newJob(n: number, settings: Parameters<typeof tasks.updateSettings>[1] = {}, maxFailures = 0) {
  const queue = queueName("once");
  // An id that names its queue, as POST /v1/jobs makes: the job's hash then shares the queue's slot.
  const id = `${queue}.J${Date.now().toString(36)}${++jobCounter}`;
  await tasks.updateSettings(queue, { backoff: { type: "fixed", baseMs: 0, maxMs: 0, jitter: 0 }, ...settings });
  await jobs.create({ id, fn: "sum", queue, input: { n }, total: n, maxFailures, acc: "0" });
  await tasks.enqueue(queue, Array.from({ length: n }, (_, i) => ({ fn: "sum", input: i, id: mapTaskId(id, i), jobId: id })));
  return { id, queue };
}

const completionsOf = (claimed: Awaited<ReturnType<typeof tasks.claim>>): TaskCompletion[] =>
  claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: (task.input as number) + 1 }));

describe("exactly-once folding", () => {
  it("a task completed twice, and a stale worker completing after its lease was taken over, fold once", async () => {
    const { id, queue } = await newJob(20, { leaseMs: 5_000 });
    const first = await tasks.claim(queue, 20);
    fixture.advance(6_000);
    expect((await tasks.upkeep(queue)).requeued).toBe(20);
    const second = await tasks.claim(queue, 20);
    expect(second.every((task) => task.attempt === 2)).toBe(true);

    const outcomes = await tasks.complete(queue, completionsOf(second));
    expect(outcomes.every((o) => o.outcome === "succeeded")).toBe(true);
    // The first worker wakes up late, and the second replays its own completion (a lost reply).
    expect((await tasks.complete(queue, completionsOf(first))).every((o) => o.outcome === "stale")).toBe(true);
    expect((await tasks.complete(queue, completionsOf(second))).every((o) => o.outcome === "stale")).toBe(true);

    await fold(queue);
    expect(await jobs.get(id)).toMatchObject({ status: "succeeded", done: 20, failed: 0, result: expectedSum(20) });
  });

  it("a folder that dies between its read and its commit: the next one folds the same entries, the late commit is refused", async () => {
    const { id, queue } = await newJob(30);
    await tasks.complete(queue, completionsOf(await tasks.claim(queue, 30)));
    const dying = await jobs.takeFold(queue, 50, 100);
    if (typeof dying === "string" || "busy" in dying) throw new Error(`expected a fold round, got ${JSON.stringify(dying)}`);
    expect(dying.events).toHaveLength(30);
    // Its lease runs out; another folder takes over.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await fold(queue);
    expect(await jobs.get(id)).toMatchObject({ status: "succeeded", done: 30, result: expectedSum(30) });
    const late = await jobs.commitFold(queue, dying, [{ jobId: id, acc: "999", doneDelta: 30, failedDelta: 0, final: null }]);
    expect(late).toEqual({ ok: false, reason: "lease-lost" });
    expect(await jobs.get(id)).toMatchObject({ done: 30, result: expectedSum(30) });
  });

  it("a commit replayed after its reply was lost is refused", async () => {
    const { id, queue } = await newJob(4, {}, 0);
    await tasks.complete(queue, completionsOf(await tasks.claim(queue, 2)));
    const round = await jobs.takeFold(queue, 50, 10_000);
    if (typeof round === "string" || "busy" in round) throw new Error(`expected a fold round, got ${JSON.stringify(round)}`);
    const commit = [{ jobId: id, acc: "3", doneDelta: 2, failedDelta: 0, final: null }];
    expect(await jobs.commitFold(queue, round, commit)).toEqual({ ok: true, left: 0 });
    expect(await jobs.commitFold(queue, round, commit)).toEqual({ ok: false, reason: "lease-lost" });
    expect(await jobs.get(id)).toMatchObject({ status: "running", done: 2 });
  });

  it("six folders racing over 2,000 results fold each exactly once", async () => {
    const { id, queue } = await newJob(2_000, { leaseMs: 60_000 });
    for (let at = 0; at < 2_000; at += 500) await tasks.complete(queue, completionsOf(await tasks.claim(queue, 500)));
    let folded = 0;
    for (let pass = 0; pass < 20 && (await jobs.get(id))?.status === "running"; pass++) {
      const tallies = await Promise.all(Array.from({ length: 6 }, () => fold(queue)));
      folded += tallies.reduce((sum, tally) => sum + tally.folded, 0);
    }
    expect(folded).toBe(2_000);
    expect(await jobs.get(id)).toMatchObject({ status: "succeeded", done: 2_000, failed: 0, result: expectedSum(2_000) });
  });

  it("a death undone by a retry out of the dead set, before or after it was folded, counts as nothing", async () => {
    const { id, queue } = await newJob(3, { maxAttempts: 1 }, 1);
    // Task 0 dies and is retried before any fold: the two cancel out in the outbox.
    const [t0] = await tasks.claim(queue, 1);
    await tasks.fail(queue, [{ id: t0!.id, leaseToken: t0!.leaseToken, error: "boom", retryable: false }]);
    expect(await tasks.retryDead(queue, [t0!.id])).toBe(1);
    await fold(queue);
    expect(await jobs.get(id)).toMatchObject({ status: "running", done: 0, failed: 0 });
    // Task 1 dies and is folded as failed (tolerated), then retried: its failure is given back.
    const [a, b] = await tasks.claim(queue, 2);
    const t1 = [a, b].find((t) => t?.id === taskIdOf(queue, mapTaskId(id, 1)))!;
    const other = [a, b].find((t) => t?.id !== taskIdOf(queue, mapTaskId(id, 1)))!;
    await tasks.fail(queue, [{ id: t1.id, leaseToken: t1.leaseToken, error: "boom", retryable: false }]);
    await tasks.complete(queue, completionsOf([other]));
    await fold(queue);
    expect(await jobs.get(id)).toMatchObject({ status: "running", done: 1, failed: 1 });
    expect(await tasks.retryDead(queue, [t1.id])).toBe(1);
    await tasks.complete(queue, completionsOf(await tasks.claim(queue, 3)));
    await fold(queue);
    expect(await jobs.get(id)).toMatchObject({ status: "succeeded", done: 3, failed: 0, result: expectedSum(3) });
  });

  it("a commit is refused when an entry it read changed meanwhile (a revived task succeeded under the folder)", async () => {
    const { id, queue } = await newJob(2, { maxAttempts: 1 }, 1);
    const [task] = await tasks.claim(queue, 1);
    await tasks.fail(queue, [{ id: task!.id, leaseToken: task!.leaseToken, error: "boom", retryable: false }]);
    await fold(queue);
    expect(await jobs.get(id)).toMatchObject({ status: "running", failed: 1 });
    await tasks.retryDead(queue, [task!.id]);
    const round = await jobs.takeFold(queue, 10, 10_000);
    if (typeof round === "string" || "busy" in round) throw new Error(`expected a fold round, got ${JSON.stringify(round)}`);
    expect(round.events).toEqual([expect.objectContaining({ taskId: task!.id, failedDelta: -1, result: null })]);
    // The retried task succeeds while the folder holds what it read: "-1" became "-1 and a result".
    const again = (await tasks.claim(queue, 2)).filter((t) => t.id === task!.id);
    await tasks.complete(queue, completionsOf(again));
    const stale = [{ jobId: id, acc: null, doneDelta: 0, failedDelta: -1, final: null }];
    expect(await jobs.commitFold(queue, round, stale)).toEqual({ ok: false, reason: "changed" });
    await fold(queue);
    expect(await jobs.get(id)).toMatchObject({ status: "running", done: 1, failed: 0 });
  });

  it("a task that dies when its lease runs out with no attempts left counts as failed", async () => {
    const { id, queue } = await newJob(2, { maxAttempts: 1, leaseMs: 2_000 }, 1);
    const claimed = await tasks.claim(queue, 2);
    await tasks.complete(queue, completionsOf(claimed.slice(0, 1)));
    fixture.advance(3_000);
    expect((await tasks.upkeep(queue)).dead).toBe(1);
    await fold(queue);
    expect(await jobs.get(id)).toMatchObject({ status: "succeeded", done: 1, failed: 1, result: 1 });
  });

  it("more dead tasks than tolerated fail the job at once and cancel its pending tasks", async () => {
    const { id, queue } = await newJob(12, { maxAttempts: 1 });
    const [task] = await tasks.claim(queue, 1);
    await tasks.fail(queue, [{ id: task!.id, leaseToken: task!.leaseToken, error: "boom", retryable: false }]);
    await fold(queue);
    const job = await jobs.get(id);
    expect(job).toMatchObject({ status: "failed", failed: 1, done: 0 });
    expect(job?.error).toMatch(/1 map tasks failed; the job tolerates 0/);
    expect(failedJobs).toContain(id);
    const records = await tasks.getMany(Array.from({ length: 12 }, (_, i) => taskIdOf(queue, mapTaskId(id, i))));
    expect(records.map((r) => r?.status)).toEqual(["dead", ...Array(11).fill("canceled")]);
    expect((await tasks.getQueue(queue)).counts).toMatchObject({ queued: 0, canceled: 11 });
    // The cancel's outbox entries were dropped with it: nothing is left to fold.
    expect(await jobs.takeFold(queue, 10, 1_000)).toBe("empty");
  });
});
