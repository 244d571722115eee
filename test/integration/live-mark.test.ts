/**
 * The live-invocation mark (src/queue/scripts/pieces/live.ts) over the real queue core, REST server
 * and QStash dev server: while an invocation will claim again, the queue's enqueues publish no push;
 * the claim that takes nothing clears the mark in its own script, so that no task enqueued around
 * the last claim waits for the cron.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { startMonitor } from "../../bench/redis-trace";
import { enqueueCoalesced } from "../../src/http/enqueue-coalescer";
import { createTaskQueue, LIVE_MARK_FIELD, LIVE_MARK_MS, pushEpochKey, queueKeyMap } from "../../src/queue/index";
import type { ClaimedTask, TaskQueue } from "../../src/queue/types";
import { clientsFromEnv } from "../../src/runtime/clients";
import { publishEnqueuePush } from "../../src/runtime/enqueue-push";
import { defineFunction } from "../../src/runtime/function";
import { createLogger } from "../../src/runtime/logger";
import { handlePush } from "../../src/runtime/push";
import { registry } from "../../src/runtime/registry";
import { functions } from "../../functions/index";
import { startPushWorker } from "../support/push-worker";
import { sleep, startReceiver, type Receiver } from "../support/qstash-receiver";
import { queueName } from "../support/names";
import { rawTestRedis, testKeyspace } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";

const keys = testKeyspace("live");
afterAll(keys.cleanup);
const log = createLogger("error", {}, () => {});

let receiver: Receiver;
let tasks: TaskQueue;
beforeAll(async () => {
  receiver = await startReceiver();
  tasks = createTaskQueue(rawTestRedis(), { prefix: keys.prefix });
});
afterAll(async () => {
  await receiver.close();
});

function endpoint() {
  const base = `/${randomBytes(6).toString("hex")}`;
  return { publicUrl: `${receiver.base}${base}`, path: `${base}/v1/work` };
}

const done = (batch: ClaimedTask[]) => ({ completions: batch.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: null })), failures: [] });

describe("the live-invocation mark", () => {
  it("silences the pushes of enqueues its next claim takes, and the claim that takes nothing ends it in the same script", async () => {
    const queue = queueName("race");
    await tasks.enqueue(queue, [{ fn: "echo", input: "a" }]);
    const first = await tasks.claim(queue, 10);
    expect(first).toHaveLength(1);

    // an enqueue before the invocation's next claim: no push, and that claim takes it
    const before = await tasks.enqueueAndPeek(queue, [{ fn: "echo", input: "b" }]);
    expect(before.pushInfo).toMatchObject({ live: true });
    const next = await tasks.settleAndClaim(queue, done(first), 10);
    expect(next.claimed.map((task) => task.id)).toEqual([before.results[0]!.id]);

    // the claim that takes nothing clears the mark: an enqueue after it pushes
    const last = await tasks.settleAndClaim(queue, done(next.claimed), 10);
    expect(last.claimed).toEqual([]);
    const after = await tasks.enqueueAndPeek(queue, [{ fn: "echo", input: "c" }]);
    expect(after.pushInfo).toMatchObject({ live: false });
  });

  it("lapses LIVE_MARK_MS after the last claim of an invocation that died", async () => {
    let now = Date.now();
    const clocked = createTaskQueue(rawTestRedis(), { prefix: keys.prefix, now: () => now });
    const queue = queueName("lapse");
    await clocked.enqueue(queue, [{ fn: "echo", input: 1 }]);
    expect(await clocked.claim(queue, 10)).toHaveLength(1);
    now += LIVE_MARK_MS - 1;
    expect((await clocked.enqueueAndPeek(queue, [{ fn: "echo", input: 2 }])).pushInfo).toMatchObject({ live: true });
    now += 2;
    expect((await clocked.enqueueAndPeek(queue, [{ fn: "echo", input: 3 }])).pushInfo).toMatchObject({ live: false });
  });

  it("is written again only when less than half of it is left, and the claim that takes nothing deletes it (its stats copy too)", async () => {
    let now = Date.now();
    const clocked = createTaskQueue(rawTestRedis(), { prefix: keys.prefix, now: () => now });
    const queue = queueName("renew");
    const { meta, stats } = queueKeyMap(keys.prefix, queue);
    // the stats hash holds a copy, which the enqueues read (pieces/live.ts): always the same as META's
    const mark = async () => {
      const [inMeta, inStats] = await Promise.all([meta, stats].map((key) => rawTestRedis().hget(key, LIVE_MARK_FIELD)));
      expect(inStats == null ? null : String(inStats)).toBe(inMeta == null ? null : String(inMeta));
      return inMeta as string | null;
    };
    await clocked.enqueue(queue, Array.from({ length: 4 }, (_, n) => ({ fn: "echo", input: n })));
    const first = now;
    expect(await clocked.claim(queue, 1)).toHaveLength(1);
    expect(Number(await mark())).toBe(first + LIVE_MARK_MS);
    now += LIVE_MARK_MS / 2 - 1; // more than half left: not written
    expect(await clocked.claim(queue, 1)).toHaveLength(1);
    expect(Number(await mark())).toBe(first + LIVE_MARK_MS);
    now += 2; // less than half left: renewed from this claim
    expect(await clocked.claim(queue, 1)).toHaveLength(1);
    expect(Number(await mark())).toBe(now + LIVE_MARK_MS);
    expect(await clocked.claim(queue, 1)).toHaveLength(1);
    expect(await clocked.claim(queue, 1)).toEqual([]);
    expect(await mark()).toBeNull();
  });

  it("a busy queue's single enqueues publish no push and read no push epoch (MONITOR count), an idle one's do", async () => {
    const queue = queueName("busy");
    const { publicUrl, path } = endpoint();
    const clients = clientsFromEnv(testEnv(publicUrl, keys.prefix), { log });
    const committer = { tasks, keepAlive: () => {} };
    const singles = (from: number) => Array.from({ length: 20 }, (_, n) =>
      enqueueCoalesced(`${keys.prefix}|${queue}`, queue, [{ fn: "echo", input: from + n }], committer));
    await tasks.enqueue(queue, [{ fn: "echo", input: "running" }]);
    const running = await tasks.claim(queue, 10);

    const epochKey = pushEpochKey(keys.prefix, queue);
    const epochReadsDuring = async <T>(work: () => Promise<T>): Promise<{ result: T; reads: number }> => {
      let reads = 0;
      const stop = await startMonitor(inject("redisPort"), ({ args }) => {
        if (args[0]?.toUpperCase() === "GET" && args[1] === epochKey) reads++;
      });
      try {
        const result = await work();
        await sleep(100); // MONITOR's feed may trail the replies a little
        return { result, reads };
      } finally {
        stop();
      }
    };
    const { result: busyAnswers, reads: busyReads } = await epochReadsDuring(() => Promise.all(singles(0)));
    const busyPushes = await Promise.all(busyAnswers.map((answer) => publishEnqueuePush(clients, queue, { pushInfo: answer.pushInfo! })));
    expect(busyAnswers.every((answer) => answer.pushInfo?.live === true)).toBe(true);
    expect(busyPushes.reduce((sum, n) => sum + n, 0)).toBe(0);
    expect(busyReads).toBe(0);

    // the invocation takes them all with its next claim, then its claim that takes nothing ends the mark
    const next = await tasks.settleAndClaim(queue, done(running), 100);
    expect(next.claimed).toHaveLength(20);
    expect((await tasks.settleAndClaim(queue, done(next.claimed), 100)).claimed).toEqual([]);
    const { result: idleAnswers, reads: idleReads } = await epochReadsDuring(() => Promise.all(singles(20)));
    expect(idleReads).toBeGreaterThan(0);
    const idlePushes = await Promise.all(idleAnswers.map((answer) => publishEnqueuePush(clients, queue, { pushInfo: answer.pushInfo! })));
    expect(idlePushes.reduce((sum, n) => sum + n, 0)).toBe(1);
    await receiver.waitFor(path, 1);
    await sleep(300);
    expect(receiver.deliveriesTo(path)).toHaveLength(1);
  });

  it("is ended by an invocation its budget stops while its last claim took tasks, which then pushes for the backlog", async () => {
    const queue = queueName("budget");
    const { publicUrl, path } = endpoint();
    await tasks.enqueue(queue, Array.from({ length: 5 }, (_, n) => ({ fn: "echo", input: n })));
    await tasks.updateSettings(queue, { batchSize: 2 });
    // no time for a second batch: the start's claim (which took 2 and marked the queue live) is the last
    const report = await handlePush(testEnv(publicUrl, keys.prefix), { queue }, { functions, log, budget: { softMs: 0, hardMs: 60_000 } });
    // the 3 left at batches of 2 want two invocations
    expect(report).toMatchObject({ claimed: 2, succeeded: 2, published: 2 });
    await receiver.waitFor(path, 2);
    expect((await tasks.enqueueAndPeek(queue, [{ fn: "echo", input: "after" }])).pushInfo).toMatchObject({ live: false });
  });

  it("runs every task enqueued around an invocation's claims by pushes alone, with the cron off", async () => {
    const queue = queueName("chain");
    // each task enqueues the next as it runs, as a web app would between the claims of one invocation;
    // the last one's successor comes after that invocation's empty claim, from outside
    const clientsRef: { current?: ReturnType<typeof clientsFromEnv> } = {};
    const outcomes: boolean[] = [];
    const enqueueLikeTheRoute = async (input: number) => {
      const { pushInfo } = await tasks.enqueueAndPeek(queue, [{ fn: "relay", input }]);
      outcomes.push(pushInfo!.live);
      await publishEnqueuePush(clientsRef.current!, queue, { pushInfo: pushInfo! });
    };
    const relay = defineFunction({
      name: "relay",
      input: z.number(),
      run: async (n) => {
        if (n > 0 && n < 10) await enqueueLikeTheRoute(n + 1);
      },
    });
    const worker = await startPushWorker({ functions: registry([relay]), log }, keys.prefix);
    clientsRef.current = clientsFromEnv(worker.env, { log });
    try {
      await enqueueLikeTheRoute(1);
      const first = await worker.reportsOf(queue, (mine) => mine.reduce((sum, r) => sum + r.succeeded, 0) >= 10, 20_000);
      expect(first.reduce((sum, r) => sum + r.succeeded, 0)).toBe(10);
      await enqueueLikeTheRoute(0);
      const all = await worker.reportsOf(queue, (mine) => mine.reduce((sum, r) => sum + r.succeeded, 0) >= 11, 20_000);
      expect(all.reduce((sum, r) => sum + r.succeeded, 0)).toBe(11);
      expect((await tasks.getQueue(queue)).counts).toMatchObject({ queued: 0, running: 0, succeeded: 11 });
      // the enqueues made while an invocation ran relied on its next claim; the first and the last pushed
      expect(outcomes[0]).toBe(false);
      expect(outcomes.at(-1)).toBe(false);
      expect(outcomes.filter((live) => live).length).toBeGreaterThan(0);
    } finally {
      await worker.close();
    }
  });

  it("does not leave slow tasks to one invocation: a batch running past the claim pace checks the backlog and pushes", async () => {
    const queue = queueName("slow");
    const worker = await startPushWorker({ log }, keys.prefix);
    const clients = clientsFromEnv(worker.env, { log });
    const enqueue = async (ms: number) => {
      const { results, pushInfo } = await tasks.enqueueAndPeek(queue, [{ fn: "sleep", input: { ms } }]);
      await publishEnqueuePush(clients, queue, { pushInfo: pushInfo! });
      return { id: results[0]!.id, live: pushInfo!.live };
    };
    try {
      const first = await enqueue(800);
      for (let i = 0; i < 200 && (await tasks.get(first.id))?.status !== "running"; i++) await sleep(10);
      // the first invocation holds the mark: these publish no push of their own
      const later = await Promise.all(Array.from({ length: 5 }, () => enqueue(200)));
      expect(later.every((task) => task.live)).toBe(true);
      const ids = [first.id, ...later.map((task) => task.id)];
      await worker.reportsOf(queue, (mine) => mine.reduce((sum, r) => sum + r.succeeded, 0) >= ids.length, 20_000);
      const records = await tasks.getMany(ids);
      expect(records.map((record) => record?.status)).toEqual(ids.map(() => "succeeded"));
      // another invocation ran them while the first task still ran
      const firstDone = records[0]!.finishedAt!;
      expect(records.slice(1).some((record) => record!.startedAt! < firstDone)).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it("keeps the upkeep going while it drains: a dead invocation's expired leases come back to it while it runs", async () => {
    const queue = queueName("upkeep");
    // an invocation that died holding two tasks, claimed 5.5 s ago (its live mark has lapsed) with a
    // lease that expires 1.5 s from now
    await tasks.enqueue(queue, [{ fn: "link", input: 99 }, { fn: "link", input: 99 }]);
    const past = createTaskQueue(rawTestRedis(), { prefix: keys.prefix, now: () => Date.now() - 5_500 });
    const orphans = await past.claim(queue, 2, 7_000);
    expect(orphans).toHaveLength(2);
    // a live invocation kept busy for ~3 s by a chain of tasks, each enqueuing the next as it runs
    const clientsRef: { current?: ReturnType<typeof clientsFromEnv> } = {};
    const chain: string[] = [];
    const enqueueLink = async (n: number) => {
      const { results, pushInfo } = await tasks.enqueueAndPeek(queue, [{ fn: "link", input: n }]);
      chain.push(results[0]!.id);
      await publishEnqueuePush(clientsRef.current!, queue, { pushInfo: pushInfo! });
    };
    const link = defineFunction({
      name: "link",
      input: z.number(),
      run: async (n) => {
        await sleep(150);
        if (n < 20) await enqueueLink(n + 1);
      },
    });
    const worker = await startPushWorker({ functions: registry([link]), log }, keys.prefix);
    clientsRef.current = clientsFromEnv(worker.env, { log });
    try {
      await enqueueLink(1);
      await worker.reportsOf(queue, (mine) => mine.reduce((sum, r) => sum + r.succeeded, 0) >= 22, 20_000);
      const [last] = await tasks.getMany([chain.at(-1)!]);
      const back = await tasks.getMany(orphans.map((task) => task.id));
      expect(back.map((record) => [record?.status, record?.attempts])).toEqual([["succeeded", 2], ["succeeded", 2]]);
      // taken back by the live invocation's own upkeep while the chain still ran, not after it
      expect(Math.max(...back.map((record) => record!.startedAt!))).toBeLessThan(last!.finishedAt!);
    } finally {
      await worker.close();
    }
  });
});
