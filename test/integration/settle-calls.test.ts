/**
 * The Redis commands a claim and a settle of 100 tasks make inside their script, by command, counted
 * by redis-server itself (INFO commandstats counts a script's inner calls, as Upstash bills them) on a
 * redis-server of this file's own, so no other test's commands mix in. Cost per task at batch 100 is
 * what the drain's figures rest on (bench/BENCHMARKS.md): a change that adds an inner call to every
 * claim or settle fails here, and a change that saves one updates the counts on purpose.
 */
import { Redis } from "@upstash/redis";
import { Redis as DirectRedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../dev/redis-server";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { createTaskQueue } from "../../src/queue/index";
import type { ClaimedTask, TaskQueue } from "../../src/queue/types";
import { innerCalls } from "../support/inner-calls";

const TOKEN = "settle-calls-token";
const BATCH = 100;

const done = (tasks: ClaimedTask[]) => tasks.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: { ok: true } }));

describe("inner calls of a claim and a settle of 100", () => {
  let redisServer: RedisServerHandle;
  let rest: RestServer;
  let direct: DirectRedis;
  let queue: TaskQueue;
  let clock = 1_750_000_000_000;
  beforeAll(async () => {
    redisServer = await startRedisServer();
    rest = await startRestServer({ redisUrl: redisServer.url, token: TOKEN, recordSizeCheckMs: 60_000 });
    direct = new DirectRedis(redisServer.url);
    const redis = new Redis({ url: rest.url, token: TOKEN, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
    queue = createTaskQueue(redis, { prefix: "calls", now: () => clock });
    // 400 tasks minted in one 32 ms step: one partition, so each call below holds the one it needs
    await queue.enqueue("q", Array.from({ length: 4 * BATCH }, (_, i) => ({ fn: "echo", input: { i } })));
    // a first claim settles the queue's hints (the ready head in META) as a drain finds them
    await queue.settleAndClaim("q", { completions: done(await queue.claim("q", BATCH)), failures: [] }, 0);
  });
  afterAll(async () => {
    direct.disconnect();
    await rest.close();
    await redisServer.stop();
  });

  it("claims 100 with one script call of seven inner calls", async () => {
    let claimed: ClaimedTask[] = [];
    const calls = await innerCalls(direct, async () => (claimed = await queue.claim("q", BATCH)));
    expect(claimed).toHaveLength(BATCH);
    // meta and records read (HMGET), the ready list popped (LPOP), records and the lease check's
    // sweep field written (HSET), its sweep entry (ZADD), the stats read and written (HMGET, HSET);
    // the live-invocation mark (meta _live, pieces/live.ts) stands from the claim before, 5 ms ago,
    // and is written again only when less than half of it is left
    expect(calls).toEqual({ script: 1, hmget: 3, lpop: 1, hset: 2, zadd: 1 });
    clock += 5;
    const settled = await innerCalls(direct, () => queue.settleAndClaim("q", { completions: done(claimed), failures: [] }, 0));
    // records read and written, stats read and written, the finished ids published
    expect(settled).toEqual({ script: 1, hmget: 2, hset: 2, publish: 1 });
  });

  it("settles 100 and claims the next 100 in one script call of eight inner calls (no waiter: nothing published)", async () => {
    const claimed = await queue.claim("q", BATCH);
    clock += 5;
    let next: ClaimedTask[] = [];
    const calls = await innerCalls(direct, async () => (next = (await queue.settleAndClaim("q", { completions: done(claimed), failures: [] }, BATCH)).claimed));
    expect(next).toHaveLength(BATCH);
    expect(await queue.getMany(claimed.map((task) => task.id))).toSatisfy((tasks: { status: string }[]) => tasks.every((task) => task.status === "succeeded"));
    // [issue 11] the queue's meta read says no ?wait= listens (scripts/wait-mark.ts): no PUBLISH
    expect(calls).toEqual({ script: 1, hmget: 3, lpop: 1, hset: 2, zadd: 1 });
  });

  it("a short claim (the lists hold fewer than it asks) reads the ready index once, not again for more", async () => {
    clock += 100; // a new 32 ms step: a partition of its own
    await queue.enqueue("q", Array.from({ length: 10 }, (_, i) => ({ fn: "echo", input: { i } })));
    let claimed: ClaimedTask[] = [];
    const calls = await innerCalls(direct, async () => (claimed = await queue.claim("q", BATCH)));
    expect(claimed).toHaveLength(10);
    // the last claim's head (the drained partition, still indexed: that claim took what it asked)
    // popped and unindexed, the index read, the new partition popped dry and unindexed, the head
    // mark deleted; meta, records and stats read, records and the sweep field written, the sweep entry
    expect(calls).toEqual({ script: 1, hmget: 3, lpop: 2, zrem: 2, zrange: 1, hdel: 1, hset: 2, zadd: 1 });
  });

  it("[cmds] a claim that drains several partitions takes them out of the ready index with one ZREM", async () => {
    // three 32 ms steps of a trickle, as single enqueues leave them: three small partitions
    for (let step = 0; step < 3; step++) {
      clock += 100;
      await queue.enqueue("q", Array.from({ length: 5 }, (_, i) => ({ fn: "echo", input: { step, i } })));
    }
    let claimed: ClaimedTask[] = [];
    const calls = await innerCalls(direct, async () => (claimed = await queue.claim("q", BATCH)));
    expect(claimed).toHaveLength(15);
    // each list popped dry (LPOP a partition) and read (HMGET a partition); they leave the index together
    expect(calls).toMatchObject({ script: 1, lpop: 3, zrem: 1 });
    expect(await direct.zcard("calls:q:{q}:rparts")).toBe(0);
  });

  it("[issue 11] an enqueue into a deep queue keeps the partition its next claim starts from in the hint", async () => {
    // 30 partitions of 10 (more than the hint holds), as a deep queue has them; then the first claim,
    // which names the head partitions for the next one
    for (let step = 0; step < 30; step++) {
      clock += 100;
      await queue.enqueue("deep", Array.from({ length: 10 }, (_, i) => ({ fn: "echo", input: { step, i } })));
    }
    await queue.settleAndClaim("deep", { completions: done(await queue.claim("deep", 10)), failures: [] }, 0);
    for (let round = 0; round < 3; round++) {
      // the queue's enqueues go on while it is claimed: their partitions join the hint at its end
      clock += 100;
      await queue.enqueue("deep", Array.from({ length: 10 }, (_, i) => ({ fn: "echo", input: { round, i } })));
      let claimed: ClaimedTask[] = [];
      const calls = await innerCalls(direct, async () => (claimed = await queue.claim("deep", 10)));
      // the head partition, in order: held from the hint, so one script call (a short claim ran twice)
      expect(claimed.map((task) => task.input)).toEqual(Array.from({ length: 10 }, (_, i) => ({ step: round + 1, i })));
      expect(calls.script).toBe(1);
      await queue.complete("deep", done(claimed));
    }
  });
});
