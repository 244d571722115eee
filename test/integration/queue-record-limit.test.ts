/**
 * The queue core against Upstash's record-size limit, here 1 MB on a REST server of its own.
 * Today every task record of a deployment lives in one hash (keys.ts), so once that hash reaches the
 * limit every enqueue and every settle is refused, on Upstash as here; reads and the queue's figures
 * go on. A script is refused where it first writes to that hash, as on Upstash, after its earlier
 * writes: a claim has popped its ids by then, and puts them back (pieces/buffers.ts), so nothing is
 * stranded. Issue 13's partitioned keyspace is to turn this test around (a queue far larger than
 * the limit keeps working); until then it proves what reaching the limit does, and loses nothing.
 */
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../dev/redis-server";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { createTaskQueue } from "../../src/queue/index";
import type { TaskQueue } from "../../src/queue/types";

const TOKEN = "record-limit-token";
const INPUT = "x".repeat(200);

describe("queue core under a 1 MB record-size limit (today's single tasks hash)", () => {
  let redisServer: RedisServerHandle;
  let rest: RestServer;
  let queue: TaskQueue;
  let redis: Redis;
  let clock = 1_750_000_000_000;
  beforeAll(async () => {
    redisServer = await startRedisServer();
    rest = await startRestServer({ redisUrl: redisServer.url, token: TOKEN, maxRecordBytes: 1024 * 1024, recordSizeCheckMs: 60_000 });
    redis = new Redis({ url: rest.url, token: TOKEN, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
    queue = createTaskQueue(redis, { prefix: "limit", now: () => clock });
  });
  afterAll(async () => {
    await rest.close();
    await redisServer.stop();
  });

  it("refuses enqueues and settles at the limit; reads go on; a refused claim puts back what it popped", async () => {
    // 5 tasks delayed by a second, due when the claim below runs: it promotes them first
    await queue.enqueue("big", [1, 2, 3, 4, 5].map((input) => ({ fn: "echo", input, delayMs: 1_000 })));
    let accepted = 0;
    let firstIds: string[] = [];
    let refusal: Error | undefined;
    for (let round = 0; round < 20 && !refusal; round++) {
      try {
        const batch = await queue.enqueue("big", Array.from({ length: 500 }, () => ({ fn: "echo", input: INPUT })));
        if (accepted === 0) firstIds = batch.map((r) => r.id);
        accepted += batch.length;
      } catch (error) {
        refusal = error as Error;
      }
      await rest.checkRecordSizes();
    }
    expect(refusal?.message).toContain("ERR max single record size exceeded");
    // some 3,000 records of ~300 bytes fill 1 MB; the refused batch added none of its 500
    expect(accepted).toBeGreaterThanOrEqual(2_500);
    expect((await queue.getQueue("big")).counts).toMatchObject({ queued: accepted, delayed: 5 });
    clock += 2_000;

    // a claim pops 10 ids, then its write of their records is refused: the ids go back to the head of
    // the list in order, so the same tasks come first once the hash is under the limit again
    const [head] = await queue.getMany([firstIds[0]!]);
    expect(head?.status).toBe("queued");
    await expect(queue.claim("big", 10)).rejects.toThrow("ERR max single record size exceeded");
    expect((await queue.getQueue("big")).counts).toMatchObject({ queued: accepted, delayed: 5, running: 0 });
    expect(await redis.lrange(`limit:q:{big}:ready`, 0, 9)).toEqual(firstIds.slice(0, 10));
    // another queue shares the hash today, so it is refused too
    await expect(queue.enqueue("small", [{ fn: "echo", input: 1 }])).rejects.toThrow("ERR max single record size exceeded");
  });
});
