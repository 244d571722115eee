/**
 * The Redis commands one single-task enqueue makes inside its script, by command, counted by
 * redis-server itself (INFO commandstats counts a script's inner calls, as Upstash bills them) on a
 * redis-server of this file's own. Single enqueues carry a few tasks a call (the coalescer), so the
 * call's fixed inner calls are most of what a task costs (issue 11): a change that adds one fails here.
 */
import { Redis } from "@upstash/redis";
import { Redis as DirectRedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../dev/redis-server";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { createTaskQueue, LEDGER_FIELD, LEDGER_MAX_TASKS, LEDGER_UNIT, LIVE_MARK_FIELD, LIVE_MARK_MS, queueKeyMap } from "../../src/queue/index";
import { redisPushEpochs } from "../../src/runtime/epochs";
import type { TaskQueue } from "../../src/queue/types";
import { innerCalls } from "../support/inner-calls";

const TOKEN = "enqueue-calls-token";
const PREFIX = "enqcalls";

describe("inner calls of a single-task enqueue", () => {
  let redisServer: RedisServerHandle;
  let rest: RestServer;
  let direct: DirectRedis;
  let queue: TaskQueue;
  let clock = 1_750_000_000_000;
  const one = (input: unknown, delayMs?: number) => queue.enqueueAndPeek("q", [{ fn: "echo", input, ...(delayMs ? { delayMs } : {}) }]);
  const stats = queueKeyMap(PREFIX, "q").stats;
  const liveCopy = () => direct.hget(stats, LIVE_MARK_FIELD);
  let upstash: Redis;
  beforeAll(async () => {
    redisServer = await startRedisServer();
    rest = await startRestServer({ redisUrl: redisServer.url, token: TOKEN, recordSizeCheckMs: 60_000 });
    direct = new DirectRedis(redisServer.url);
    const redis = new Redis({ url: rest.url, token: TOKEN, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
    upstash = redis;
    queue = createTaskQueue(redis, { prefix: PREFIX, now: () => clock });
    await queue.enqueue("q", [{ fn: "echo", input: "registers the queue" }]);
  });
  afterAll(async () => {
    direct.disconnect();
    await rest.close();
    await redisServer.stop();
  });

  it("into a live queue: records, ready list and its index, and one HINCRBY of the enqueue ledger for the stats and the live mark; no stats read or write, no META, no epoch", async () => {
    expect(await queue.claim("q", 10)).toHaveLength(1); // an invocation at work: the live mark stands
    expect(Number(await liveCopy())).toBe(clock + LIVE_MARK_MS);
    clock += 5;
    let live: boolean | undefined;
    const calls = await innerCalls(direct, async () => (live = (await one("busy")).pushInfo?.live));
    expect(live).toBe(true);
    // the claim emptied the partition's list: the RPUSH makes a new one, which joins the index (ZADD);
    // [cmds] the stats and the mark's copy: one HINCRBY of the ledger where there were an HMGET and an HSET
    expect(calls).toEqual({ script: 1, hset: 1, rpush: 1, zadd: 1, hincrby: 1 });
    // the list stands now: no index write; a delayed task reads what its delayed push needs from META
    clock += 1;
    expect(await innerCalls(direct, () => one("busy too"))).toEqual({ script: 1, hset: 1, rpush: 1, hincrby: 1 });
    const delayed = await innerCalls(direct, () => one("later", 60_000));
    expect(delayed.hmget).toBe(2);
    expect(delayed.get).toBeUndefined();
  });

  it("into an idle queue: the same, and the push's settings (META) and the push epoch read", async () => {
    // the invocation's claims take what waits, then one takes nothing and ends the mark, its copy too
    while ((await queue.claim("q", 10)).length > 0) clock += 1;
    expect(await liveCopy()).toBeNull();
    clock += 5;
    let live: boolean | undefined;
    const calls = await innerCalls(direct, async () => (live = (await one("idle")).pushInfo?.live));
    expect(live).toBe(false);
    // [cmds] the ledger's HINCRBY tells the mark is gone; the stats are then read and written as before
    expect(calls).toEqual({ script: 1, hset: 2, rpush: 1, zadd: 1, hmget: 2, get: 1, hincrby: 1 });
  });

  it("a bulk call (more than LEDGER_MAX_TASKS tasks) skips the ledger: its HINCRBY would cost a command on an idle queue", async () => {
    while ((await queue.claim("q", 100)).length > 0) clock += 1;
    clock += 5;
    const bulk = Array.from({ length: LEDGER_MAX_TASKS + 1 }, (_, i) => ({ fn: "echo", input: i }));
    const calls = await innerCalls(direct, async () => void (await queue.enqueueAndPeek("q", bulk)));
    expect(calls.hincrby).toBeUndefined();
    expect(calls).toMatchObject({ script: 1, hmget: 2, get: 1 });
    while ((await queue.claim("q", 100)).length > 0) clock += 1;
  });

  it("[cmds] the ledger's enqueues are counted at once by readers, and folded into the counters by the next stats write", async () => {
    while ((await queue.claim("q", 10)).length > 0) clock += 1;
    const before = (await queue.getQueue("q")).counts;
    await one("wakes");
    expect(await queue.claim("q", 10)).toHaveLength(1); // live again
    clock += 5;
    for (const input of ["a", "b", "c"]) await one(input);
    const pending = Number(await direct.hget(stats, LEDGER_FIELD)) % LEDGER_UNIT;
    expect(pending).toBe(3); // the three went through the ledger (the claim folded the first)
    expect(Number(await direct.hget(stats, "_rdy"))).toBe(before.queued);
    const read = (await queue.getQueue("q")).counts;
    expect(read.queued).toBe(before.queued + 3);
    expect(read.enqueued).toBe(before.enqueued + 4);
    // the next claim's stats write folds them: pending 0, the counters and the minute's enqueue count hold them
    expect(await queue.claim("q", 2)).toHaveLength(2);
    expect(Number(await direct.hget(stats, LEDGER_FIELD)) % LEDGER_UNIT).toBe(0);
    expect(Number(await direct.hget(stats, "_rdy"))).toBe(before.queued + 1);
    expect(Number(await direct.hget(stats, "enqueued"))).toBe(before.enqueued + 4);
    expect(Number(await direct.hget(stats, `${Math.floor(clock / 60_000)}:e`))).toBeGreaterThanOrEqual(4);
    expect((await queue.getQueue("q")).counts).toMatchObject({ queued: before.queued + 1, enqueued: before.enqueued + 4 });
  });

  it("[cmds] an invocation that ends the live mark takes the ledger's live part off, keeping its pending enqueues", async () => {
    expect((await queue.claim("q", 1)).length).toBe(1);
    clock += 5;
    expect((await one("while live")).pushInfo?.live).toBe(true);
    const before = (await queue.getQueue("q")).counts;
    await redisPushEpochs(upstash, PREFIX).endLive("q");
    expect(await liveCopy()).toBeNull();
    expect(Math.floor(Number(await direct.hget(stats, LEDGER_FIELD)) / LEDGER_UNIT)).toBeLessThanOrEqual(0);
    expect((await queue.getQueue("q")).counts.queued).toBe(before.queued);
    // the next enqueue reads no mark in the ledger: it asks for a push, and folds what was pending
    expect((await one("after the end")).pushInfo?.live).toBe(false);
    expect(Number(await direct.hget(stats, LEDGER_FIELD))).toBe(0);
    expect((await queue.getQueue("q")).counts.queued).toBe(before.queued + 1);
  });
});
