/**
 * The queue core against Upstash's record-size limit, here 1 MB on a REST server of its own.
 * Today every task record of a deployment lives in one hash (keys.ts), so once that hash reaches the
 * limit every enqueue and every settle is refused, on Upstash as here; reads and the queue's figures
 * go on. A script is refused where it first writes to that hash, as on Upstash: an enqueue has
 * written nothing by then, but a claim has popped its ids, and those tasks are stranded. Issue 13's
 * partitioned keyspace is to turn this test around (a queue far larger than the limit keeps
 * working); until then it proves what reaching the limit does.
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
  beforeAll(async () => {
    redisServer = await startRedisServer();
    rest = await startRestServer({ redisUrl: redisServer.url, token: TOKEN, maxRecordBytes: 1024 * 1024, recordSizeCheckMs: 60_000 });
    const redis = new Redis({ url: rest.url, token: TOKEN, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
    queue = createTaskQueue(redis, { prefix: "limit" });
  });
  afterAll(async () => {
    await rest.close();
    await redisServer.stop();
  });

  it("refuses enqueues and settles at the limit; reads go on; a refused claim strands the tasks it popped", async () => {
    let accepted = 0;
    let refusal: Error | undefined;
    for (let round = 0; round < 20 && !refusal; round++) {
      try {
        const batch = await queue.enqueue("big", Array.from({ length: 500 }, () => ({ fn: "echo", input: INPUT })));
        accepted += batch.length;
      } catch (error) {
        refusal = error as Error;
      }
      await rest.checkRecordSizes();
    }
    expect(refusal?.message).toContain("ERR max single record size exceeded");
    // some 3,000 records of ~300 bytes fill 1 MB; the refused batch added none of its 500
    expect(accepted).toBeGreaterThanOrEqual(2_500);
    expect((await queue.getQueue("big")).counts.queued).toBe(accepted);

    // a claim pops 10 ids, then its write of their records is refused: the 10 leave the ready list
    // while their records still say queued, and the figures count them as running (a lost batch)
    await expect(queue.claim("big", 10)).rejects.toThrow("ERR max single record size exceeded");
    expect((await queue.getQueue("big")).counts).toMatchObject({ queued: accepted - 10, running: 10 });
    // another queue shares the hash today, so it is refused too
    await expect(queue.enqueue("small", [{ fn: "echo", input: 1 }])).rejects.toThrow("ERR max single record size exceeded");
  });
});
