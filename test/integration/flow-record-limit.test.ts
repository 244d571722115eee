/**
 * Flow control under a 1 MB record-size limit (a REST server of its own): keyed tasks wait in their
 * partitions' flow queues and held tasks in their partitions' records hashes (scripts/pieces/flow*.ts),
 * so one queue holds many times the keyed tasks that the one flow set per queue of before could hold
 * under the limit, with one key's backlog deep and held back by its parallelism, and nothing refused.
 */
import { Redis } from "@upstash/redis";
import { Redis as DirectRedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../dev/redis-server";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { createTaskQueue } from "../../src/queue/index";
import type { ClaimedTask, EnqueueRequest, TaskQueue } from "../../src/queue/types";

const TOKEN = "flow-limit-token";
const LIMIT = 1024 * 1024;
const BIG = 14_000;
const SMALL_KEYS = 200;
const PER_SMALL = 40;
const BATCH = 500;

describe("flow control under a 1 MB record-size limit", () => {
  let redisServer: RedisServerHandle;
  let rest: RestServer;
  let queue: TaskQueue;
  let direct: DirectRedis;
  let clock = 1_750_000_000_000;
  beforeAll(async () => {
    redisServer = await startRedisServer();
    rest = await startRestServer({ redisUrl: redisServer.url, token: TOKEN, maxRecordBytes: LIMIT, recordSizeCheckMs: 60_000 });
    const redis = new Redis({ url: rest.url, token: TOKEN, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
    direct = new DirectRedis(redisServer.url);
    queue = createTaskQueue(redis, { prefix: "flowlimit", now: () => clock, defaults: { leaseMs: 60_000 } });
  });
  afterAll(async () => {
    direct.disconnect();
    await rest.close();
    await redisServer.stop();
  });

  const sizes = async (pattern: string) => {
    const keys = await direct.keys(pattern);
    return Promise.all(keys.map(async (key) => Number(await direct.call("MEMORY", "USAGE", key, "SAMPLES", "0"))));
  };

  it("queues, holds back and drains 22,000 keyed tasks, twice what one flow set could hold, with every key far under the limit", async () => {
    const tasks: EnqueueRequest[] = [];
    // one deep key held back by its parallelism, and many small ones interleaved with it
    for (let i = 0; i < BIG; i++) tasks.push({ fn: "echo", input: { deep: i }, flowControl: { key: "deep-backlog-of-one-tenant", parallelism: 50 } });
    for (let i = 0; i < SMALL_KEYS * PER_SMALL; i++) tasks.push({ fn: "echo", input: i, flowControl: { key: `tenant-${i % SMALL_KEYS}`, parallelism: 1000 } });
    for (let at = 0; at < tasks.length; at += BATCH) {
      clock += 40; // each batch its own 32 ms step, so its own partition
      await queue.enqueue("keyed", tasks.slice(at, at + BATCH));
      await rest.checkRecordSizes();
    }
    expect((await queue.getQueue("keyed")).counts).toMatchObject({ queued: tasks.length });
    // the flow queues alone hold more than the limit: one set of the old layout would have been refused
    const flowQueues = await sizes("flowlimit:q:{keyed}:f:*");
    expect(flowQueues.reduce((a, b) => a + b, 0)).toBeGreaterThan(LIMIT);
    expect(Math.max(...(await sizes("flowlimit:*")))).toBeLessThan(LIMIT / 2);

    // claims of 500 with nothing settled: round-robin takes every small key's 40 tasks beside 40 of the
    // deep key's, whose 50 slots then fill; each later claim pops 500 more of it and holds them back
    let claimed: ClaimedTask[] = [];
    for (let got = await queue.claim("keyed", BATCH); got.length > 0; got = await queue.claim("keyed", BATCH)) claimed.push(...got);
    for (let i = 0; i < 10; i++) expect(await queue.claim("keyed", BATCH)).toEqual([]);
    expect(claimed.filter((t) => typeof t.input === "object")).toHaveLength(50);
    expect(claimed).toHaveLength(SMALL_KEYS * PER_SMALL + 50);
    const page = await queue.flow("keyed", { limit: 1 });
    expect(page.keys[0]).toMatchObject({ key: "deep-backlog-of-one-tenant", running: 50 });
    expect(page.held).toBeGreaterThan(5_000);
    expect((await queue.getQueue("keyed")).counts).toMatchObject({ queued: tasks.length - claimed.length, running: claimed.length });
    await rest.checkRecordSizes();

    let settled = 0;
    while (claimed.length > 0) {
      const outcomes = await queue.complete("keyed", claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
      settled += outcomes.filter((o) => o.outcome === "succeeded").length;
      claimed = await queue.claim("keyed", BATCH);
      await rest.checkRecordSizes();
    }
    expect(settled).toBe(tasks.length);
    expect((await queue.getQueue("keyed")).counts).toMatchObject({ queued: 0, running: 0, succeeded: tasks.length });
    expect(await queue.flowTotals("keyed")).toEqual({ activeKeys: 0, queued: 0, held: 0 });
    expect(Math.max(...(await sizes("flowlimit:*")))).toBeLessThan(LIMIT / 2);
    // nothing keyed is left in any partition: no flow queue, no held field
    expect(await direct.keys("flowlimit:q:{keyed}:f:*")).toEqual([]);
    expect(await direct.exists("flowlimit:q:{keyed}:flow:parts")).toBe(0);
  });
});
