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
import { createTaskQueue, LIVE_MARK_FIELD, LIVE_MARK_MS, queueKeyMap } from "../../src/queue/index";
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
  const liveCopy = () => direct.hget(queueKeyMap(PREFIX, "q").stats, LIVE_MARK_FIELD);
  beforeAll(async () => {
    redisServer = await startRedisServer();
    rest = await startRestServer({ redisUrl: redisServer.url, token: TOKEN, recordSizeCheckMs: 60_000 });
    direct = new DirectRedis(redisServer.url);
    const redis = new Redis({ url: rest.url, token: TOKEN, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
    queue = createTaskQueue(redis, { prefix: PREFIX, now: () => clock });
    await queue.enqueue("q", [{ fn: "echo", input: "registers the queue" }]);
  });
  afterAll(async () => {
    direct.disconnect();
    await rest.close();
    await redisServer.stop();
  });

  it("into a live queue: records, ready list and its index, the stats read (the live mark's copy with them) and written; no META read, no epoch", async () => {
    expect(await queue.claim("q", 10)).toHaveLength(1); // an invocation at work: the live mark stands
    expect(Number(await liveCopy())).toBe(clock + LIVE_MARK_MS);
    clock += 5;
    let live: boolean | undefined;
    const calls = await innerCalls(direct, async () => (live = (await one("busy")).pushInfo?.live));
    expect(live).toBe(true);
    // the claim emptied the partition's list: the RPUSH makes a new one, which joins the index (ZADD)
    expect(calls).toEqual({ script: 1, hset: 2, rpush: 1, zadd: 1, hmget: 1 });
    // the list stands now: no index write; a delayed task reads what its delayed push needs from META
    clock += 1;
    expect(await innerCalls(direct, () => one("busy too"))).toEqual({ script: 1, hset: 2, rpush: 1, hmget: 1 });
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
    expect(calls).toEqual({ script: 1, hset: 2, rpush: 1, zadd: 1, hmget: 2, get: 1 });
  });
});
