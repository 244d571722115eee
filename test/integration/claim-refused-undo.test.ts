/**
 * A claim that spans two partitions, the second over Upstash's record-size limit (1 MB here, on a
 * REST server of this file's own): the first partition's records and the batch's lease-check field
 * are written, then the second's write is refused and the script puts back what it did. The undo of
 * the first partition restores its records and deletes only the fields the claim added: when the
 * field list and the records shared one table, the undo deleted the restored records too, and the
 * task of the first partition was lost (its id back in the ready list, its record gone).
 */
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../dev/redis-server";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { createTaskQueue } from "../../src/queue/index";
import { taskIdOf } from "../../src/queue/ids";
import type { TaskQueue } from "../../src/queue/types";

const TOKEN = "claim-undo-token";
const LIMIT = 1024 * 1024;

describe("a claim refused at its second partition", () => {
  let redisServer: RedisServerHandle;
  let rest: RestServer;
  let queue: TaskQueue;
  beforeAll(async () => {
    redisServer = await startRedisServer();
    rest = await startRestServer({ redisUrl: redisServer.url, token: TOKEN, maxRecordBytes: LIMIT, recordSizeCheckMs: 60_000 });
    const redis = new Redis({ url: rest.url, token: TOKEN, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
    queue = createTaskQueue(redis, { prefix: "undo", now: () => 1_750_000_000_000 });
  });
  afterAll(async () => {
    await rest.close();
    await redisServer.stop();
  });

  it("puts the first partition's records back as they were", async () => {
    // numbered ids share a partition per hundred: a-1xx one, b-1xx another, ready in that order
    await queue.enqueue("q", [{ fn: "echo", input: 1, id: "a-100" }]);
    const big = "x".repeat(12_000);
    for (let i = 100; i < 200; i += 20) {
      await queue.enqueue("q", Array.from({ length: 20 }, (_, k) => ({ fn: "echo", input: big, id: `b-${i + k}` })));
    }
    await rest.checkRecordSizes();
    await expect(queue.claim("q", 2)).rejects.toThrow("ERR max single record size exceeded");
    const [a, b] = await queue.getMany([taskIdOf("q", "a-100"), taskIdOf("q", "b-100")]);
    expect([a?.status, b?.status]).toEqual(["queued", "queued"]);
    expect((await queue.getQueue("q")).counts).toMatchObject({ queued: 101, running: 0 });
  });
});
