/**
 * Job results a worker left when it died are folded by pushes alone: no cron tick exists in this
 * file (nothing calls handleScheduled). A worker invocation runs a job's only batch and dies in its
 * fold, at the named script (its Redis client stops answering there, as a killed process would):
 * after settling and before taking a round, or holding a round it never commits. Nothing else is
 * left to run, so no settle of another worker will fold it; the fold push the invocation asked for
 * before it settled brings a worker back once the dead folder's lease is out.
 */
import type { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimatePi } from "../../functions/estimate-pi";
import { functions } from "../../functions/index";
import { createTaskQueue } from "../../src/queue/index";
import { createJobStore } from "../../src/queue/jobs/store";
import { foldLeaseKey, outboxKey } from "../../src/queue/jobs/keys";
import { foldCommitScript, foldTakeScript } from "../../src/queue/jobs/scripts";
import { type LuaScript, runScript } from "../../src/queue/scripts/runner";
import { createBudget } from "../../src/runtime/budget";
import { clientsFromEnv } from "../../src/runtime/clients";
import { publishEnqueuePush } from "../../src/runtime/enqueue-push";
import { runInvocation } from "../../src/runtime/invocation";
import { foldPushes } from "../../src/runtime/jobs/fold-push";
import { mapTaskId } from "../../src/runtime/jobs/split";
import { startJob } from "../../src/runtime/jobs/start-job";
import { createLogger } from "../../src/runtime/logger";
import { createRuntime, PUSH_BUDGET } from "../../src/runtime/runtime";
import { estimatePiDirect } from "../e2e/chaos-plan";
import { queueName } from "../support/names";
import { startPushWorker } from "../support/push-worker";
import { sleep } from "../support/qstash-receiver";
import { rawTestRedis, testKeyspace } from "../support/redis-client";
import { splitTaskId } from "../../src/queue/ids";

const log = createLogger("error", {}, () => {});
const keys = testKeyspace("fold-push");
afterAll(keys.cleanup);
const redis = rawTestRedis();
const tasks = createTaskQueue(redis, { prefix: keys.prefix });
const jobs = createJobStore(redis, { prefix: keys.prefix });

/** The dead worker's fold lease: short, so that the test waits seconds for it to run out. */
const DEAD_LEASE_MS = 2_000;

/** `redis`, except that the call running `script` never answers: the process died right there. */
function diesAt(client: Redis, script: LuaScript): { redis: Redis; died: Promise<void> } {
  let reached!: () => void;
  const died = new Promise<void>((resolve) => (reached = resolve));
  const proxy = new Proxy(client, {
    get(target, property) {
      if (property === "evalsha") {
        return async (sha: string, ...rest: [string[], string[]]) => {
          if (sha === (await script.sha())) {
            reached();
            return new Promise(() => {});
          }
          return target.evalsha(sha, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { redis: proxy, died };
}

// One push worker for the file: it runs every push the tests publish (there is no cron).
let worker: Awaited<ReturnType<typeof startPushWorker>>;
beforeAll(async () => {
  worker = await startPushWorker({ log }, keys.prefix);
});
afterAll(async () => {
  await worker.close();
});

async function jobOver(id: string, withinMs: number) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const job = await jobs.get(id);
    if (job?.status !== "running" || Date.now() > deadline) return job;
    await sleep(100);
  }
}

describe("a folder that dies is followed by a fold push (no cron)", () => {
  const cases = [
    { at: foldTakeScript, when: "after settling its batch, before taking a fold round", held: false, waiting: 300 },
    { at: foldCommitScript, when: "holding a fold round of 200 it never commits", held: true, waiting: 300 },
  ];
  for (const { at, when, held, waiting } of cases) {
    it(`a worker dies ${when}: a fold push folds every result once`, async () => {
      const queue = queueName("fold-push");
      // One batch takes every map task: once it settles, no other worker has anything to settle or fold.
      await tasks.updateSettings(queue, { batchSize: 300, leaseMs: 30_000 });
      const input = { tasks: 300, samples: 50, seed: 5 };
      const job = await startJob(estimatePi, input, queue, { tasks, jobs, now: Date.now });

      const dying = diesAt(clientsFromEnv(worker.env, { log }).redis, at);
      const clients = { ...clientsFromEnv(worker.env, { log }), redis: dying.redis };
      const runtime = createRuntime(clients, null, { functions, log, foldLeaseMs: DEAD_LEASE_MS });
      // Never ends: it stops where it died.
      void runInvocation(queue, createBudget(PUSH_BUDGET), runtime);
      await dying.died;

      // The fault happened: every result waits in the outbox, with the dead folder's lease or none.
      expect(await redis.hlen(outboxKey(keys.prefix, queue))).toBe(waiting);
      expect(await redis.exists(foldLeaseKey(keys.prefix, queue))).toBe(held ? 1 : 0);
      expect(await tasks.getQueue(queue)).toMatchObject({ counts: { succeeded: 300, queued: 0, running: 0 } });

      const over = await jobOver(job.id, 15_000);
      expect(over).toMatchObject({ status: "succeeded", done: 300, failed: 0, result: estimatePiDirect(input) });
      expect(await redis.hlen(outboxKey(keys.prefix, queue))).toBe(0);
      // Only fold pushes came for this queue (nothing was left to claim), and one of them folded it.
      const mine = worker.reports.filter((report) => report.queue === queue);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((report) => report.claimed === 0)).toBe(true);
      expect(worker.rejected).toEqual([]);
    });
  }

  it("a fold push that finds another folder's lease comes back at its end, and folds", async () => {
    const queue = queueName("fold-busy");
    const input = { tasks: 40, samples: 50, seed: 6 };
    const job = await startJob(estimatePi, input, queue, { tasks, jobs, now: Date.now });
    const claimed = await tasks.claim(queue, 40);
    await tasks.complete(queue, claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: estimatePi.map(task.input as never, undefined as never) })));
    // A folder takes a round and dies; a fold push arrives while its lease still holds.
    const dead = await jobs.takeFold(queue, 10, DEAD_LEASE_MS);
    expect(dead).toMatchObject({ events: expect.any(Array) });
    const clients = clientsFromEnv(worker.env, { log });
    await foldPushes(clients.publisher, { now: Date.now }, log).at(queue, Date.now());

    expect(await jobOver(job.id, 15_000)).toMatchObject({ status: "succeeded", done: 40, result: estimatePiDirect(input) });
    const mine = await worker.reportsOf(queue, (reports) => reports.length >= 2);
    // The first found the lease taken and asked for the next (published 1); a later one folded.
    expect(mine[0]).toMatchObject({ claimed: 0, published: 1 });
    expect(mine.length).toBeGreaterThanOrEqual(2);
  });
});

describe("a job task whose lease runs out with no attempt left (no cron)", () => {
  it("is counted by a fold push asked for by the upkeep that found it dead", async () => {
    const queue = queueName("fold-death");
    await tasks.updateSettings(queue, { maxAttempts: 1, leaseMs: 1_000 });
    const job = await startJob(estimatePi, { tasks: 1, samples: 10, seed: 1 }, queue, { tasks, jobs, now: Date.now });
    // A worker claims the only map task and dies with it: no settle will ever come.
    expect(await tasks.claim(queue, 1)).toHaveLength(1);
    await sleep(1_100);
    // A push (a lease check, say) starts an invocation: its upkeep finds the task dead.
    expect(await publishEnqueuePush(clientsFromEnv(worker.env, { log }), queue)).toBe(1);
    expect(await jobOver(job.id, 10_000)).toMatchObject({ status: "failed", done: 0, failed: 1 });
    expect((await tasks.getQueue(queue)).counts).toMatchObject({ dead: 1 });
  });
});

describe("taking a fold round", () => {
  it("tells a folder when the lease it found taken runs out; the same take repeated gets its round", async () => {
    const queue = queueName("fold-take");
    await tasks.enqueue(queue, [{ fn: "echo", input: 1, id: mapTaskId("J1", 0), jobId: "J1" }]);
    const [task] = await tasks.claim(queue, 1);
    await tasks.complete(queue, [{ id: task!.id, leaseToken: task!.leaseToken, result: 1 }]);
    const take = (token: string) => runScript(redis, foldTakeScript, [foldLeaseKey(keys.prefix, queue), outboxKey(keys.prefix, queue)], [token, "5000", "10"]);
    // the outbox holds the queue's local ids (`J1-0` of the task `<queue>~J1-0`)
    const local = splitTaskId(task!.id)!.local;
    expect(await take("first")).toEqual([1, [local, "J1\n0\n1"]]);
    // Its reply was lost and the client sent it again: the lease is its own, so it gets the round.
    expect(await take("first")).toEqual([1, [local, "J1\n0\n1"]]);
    const [code, left] = (await take("other")) as [number, number];
    expect(code).toBe(0);
    expect(left).toBeGreaterThan(4_000);
    expect(left).toBeLessThanOrEqual(5_000);
    const busy = await jobs.takeFold(queue, 10, 5_000);
    expect(busy).toMatchObject({ busy: true, leaseEndsAt: expect.any(Number) });
    expect((busy as { leaseEndsAt: number }).leaseEndsAt - Date.now()).toBeGreaterThan(3_000);
  });
});
