/**
 * The queue core against Upstash's record-size limit, here 1 MB on a REST server of its own.
 * Records live in partitions of their queue (keys.ts, ids.ts partitionOf): a queue many times larger
 * than the limit keeps enqueueing, claiming and settling, and no key grows with the number of tasks.
 * A partition can still reach the limit in a burst of one 32 ms step: then, as on Upstash, a script
 * is refused where it first writes to it, after its earlier writes, and a claim puts back what it
 * popped (pieces/buffers.ts), so nothing is stranded; other partitions and queues go on.
 */
import type { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RestServer } from "../../dev/rest-server/index";
import { partitionOf, splitTaskId, taskIdOf } from "../../src/queue/ids";
import { createTaskQueue } from "../../src/queue/index";
import { partitionKeys } from "../../src/queue/keys";
import type { TaskQueue } from "../../src/queue/types";
import { startLimitedStack, type LimitedStack } from "../support/limited-stack";

const INPUT = "x".repeat(200);
const LIMIT = 1024 * 1024;

describe("queue core under a 1 MB record-size limit", () => {
  let stack: LimitedStack;
  let rest: RestServer;
  let queue: TaskQueue;
  let redis: Redis;
  let direct: LimitedStack["direct"];
  let clock = 1_750_000_000_000;
  beforeAll(async () => {
    stack = await startLimitedStack(LIMIT);
    ({ rest, redis, direct } = stack);
    queue = createTaskQueue(redis, { prefix: "limit", now: () => clock });
  });
  afterAll(() => stack.close());

  it("runs a queue of 20,000 tasks, six times what one key may hold, with nothing refused and no key near the limit", async () => {
    const TASKS = 20_000;
    const BATCH = 500;
    const ids: string[] = [];
    for (let at = 0; at < TASKS; at += BATCH) {
      // ids are minted at the queue's clock: each batch its own 32 ms step, so its own partition
      clock += 40;
      ids.push(...(await queue.enqueue("large", Array.from({ length: BATCH }, () => ({ fn: "echo", input: INPUT })))).map((r) => r.id));
      await rest.checkRecordSizes();
    }
    // numbered caller ids (a job's map tasks) share a partition per hundred
    ids.push(...(await queue.enqueue("large", Array.from({ length: 1_000 }, (_, i) => ({ fn: "echo", input: i, id: `job-${i}` })))).map((r) => r.id));
    await rest.checkRecordSizes();
    expect((await queue.getQueue("large")).counts).toMatchObject({ queued: TASKS + 1_000, enqueued: TASKS + 1_000 });

    // every key, the sweep set too (a small member per batch; the ids it names live in the partitions)
    const sizes = async () => {
      const keys = await direct.keys("limit:*");
      return Promise.all(keys.map(async (key) => Number(await direct.call("MEMORY", "USAGE", key, "SAMPLES", "0"))));
    };
    // six times the limit in all, every key far under it
    const before = await sizes();
    expect(before.reduce((a, b) => a + b, 0)).toBeGreaterThan(6 * LIMIT);
    expect(Math.max(...before)).toBeLessThan(LIMIT / 2);

    let settled = 0;
    for (;;) {
      const claimed = await queue.claim("large", BATCH);
      if (claimed.length === 0) break;
      const outcomes = await queue.complete("large", claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: t.input })));
      settled += outcomes.filter((o) => o.outcome === "succeeded").length;
      await rest.checkRecordSizes();
    }
    expect(settled).toBe(TASKS + 1_000);
    expect((await queue.getQueue("large")).counts).toMatchObject({ queued: 0, running: 0, succeeded: TASKS + 1_000 });
    const records = await queue.getMany([ids[0]!, ids[TASKS - 1]!, ids[TASKS + 999]!]);
    expect(records.map((r) => [r?.status, r?.result])).toEqual([["succeeded", INPUT], ["succeeded", INPUT], ["succeeded", 999]]);
    expect(Math.max(...(await sizes()))).toBeLessThan(LIMIT / 2);
    expect(Number(await direct.call("MEMORY", "USAGE", "limit:q:{large}:sweep", "SAMPLES", "0"))).toBeLessThan(LIMIT / 100);
  });

  it("keeps prioritized, delayed, dead and deduped tasks of one queue far past the limit in keys far under it", async () => {
    // each task prioritized (1..3) with a dedup key, half of them delayed: the one-per-queue sets and
    // dedup hash of before would each pass 1 MB; their partitions' sets (pieces/segments.ts) do not
    const TASKS = 16_000;
    const BATCH = 500;
    const ids: string[] = [];
    for (let at = 0; at < TASKS; at += BATCH) {
      clock += 40;
      const tasks = Array.from({ length: BATCH }, (_, k) => {
        const i = at + k;
        return { fn: "echo", input: i, priority: 1 + (i % 3), dedupKey: `order-${i}`, ...(i % 2 ? { delayMs: 1_000 } : {}) };
      });
      ids.push(...(await queue.enqueue("mixed", tasks)).map((r) => r.id));
      await rest.checkRecordSizes();
    }
    expect((await queue.getQueue("mixed")).counts).toMatchObject({ queued: TASKS / 2, delayed: TASKS / 2 });
    // dedup keys are found whatever their partition: a second enqueue of a sample creates nothing
    const again = await queue.enqueue("mixed", [0, 1, 7_777, TASKS - 1].map((i) => ({ fn: "echo", input: -1, dedupKey: `order-${i}` })));
    expect(again.map((r) => [r.id, r.duplicate])).toEqual([0, 1, 7_777, TASKS - 1].map((i) => [ids[i], true]));
    const sizes = async (pattern = "*") => {
      const keys = await direct.keys(`limit:q:{mixed}:${pattern}`);
      return Promise.all(keys.map(async (key) => Number(await direct.call("MEMORY", "USAGE", key, "SAMPLES", "0"))));
    };
    expect(Math.max(...(await sizes()))).toBeLessThan(LIMIT / 2);
    // the dedup keys' sweep entries: one per enqueue call (its keys listed in a partition's field),
    // not one per partition the keys fall in (160 here)
    expect(await direct.zcard("limit:q:{mixed}:sweep")).toBeLessThanOrEqual(TASKS / BATCH);

    // due: the claims promote the delayed ones and take every task, priority first
    clock += 2_000;
    const priorities: number[] = [];
    const unordered: number[][] = [];
    for (;;) {
      const claimed = await queue.claim("mixed", BATCH);
      if (claimed.length === 0) break;
      const batch = claimed.map((t) => 1 + ((t.input as number) % 3)); // each task's priority
      if (batch.some((p, i) => i > 0 && p > batch[i - 1]!)) unordered.push(batch);
      priorities.push(...batch);
      const failures = claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "no", retryable: false }));
      expect((await queue.fail("mixed", failures)).every((o) => o.outcome === "dead")).toBe(true);
      await rest.checkRecordSizes();
    }
    expect(priorities).toHaveLength(TASKS);
    // each claim takes the highest priorities there are once it promoted what was due (500 at a
    // time): the first ones are all 3s, and no claim takes a lower priority before a higher one
    expect(priorities.slice(0, BATCH)).toEqual(Array(BATCH).fill(3));
    expect(unordered).toEqual([]);
    expect((await queue.getQueue("mixed")).counts).toMatchObject({ queued: 0, delayed: 0, running: 0, dead: TASKS });
    expect(Math.max(...(await sizes()))).toBeLessThan(LIMIT / 2);
    // the dead sets together hold more than one key could
    expect((await sizes("x:*")).reduce((a, b) => a + b, 0)).toBeGreaterThan(LIMIT);

    // the dead list pages newest first across partitions; retry and purge reach every partition
    const page = await queue.listDead("mixed", { offset: 0, limit: 3 });
    const deep = await queue.listDead("mixed", { offset: TASKS - 2, limit: 5 });
    expect([page.length, deep.length]).toEqual([3, 2]);
    expect(page[0]!.finishedAt).toBeGreaterThanOrEqual(deep[1]!.finishedAt!);
    expect(await queue.retryDead("mixed", [ids[5]!])).toBe(1);
    expect(await queue.purgeDead("mixed")).toBe(TASKS - 1);
    await rest.checkRecordSizes();
    expect((await queue.getQueue("mixed")).counts).toMatchObject({ queued: 1, dead: 0 });
    expect((await queue.claim("mixed", 10)).map((t) => t.id)).toEqual([ids[5]]);
  });

  it("refuses a burst past the limit in one partition where it first writes; a refused claim puts back what it popped", async () => {
    // 5 tasks delayed by a second, due when the claim below runs: it promotes them first
    await queue.enqueue("burst", [1, 2, 3, 4, 5].map((input) => ({ fn: "echo", input, delayMs: 1_000 })));
    let accepted = 0;
    let firstIds: string[] = [];
    let refusal: Error | undefined;
    // the clock stands still: every id of the burst falls in one partition
    for (let round = 0; round < 20 && !refusal; round++) {
      try {
        const batch = await queue.enqueue("burst", Array.from({ length: 500 }, () => ({ fn: "echo", input: INPUT })));
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
    expect((await queue.getQueue("burst")).counts).toMatchObject({ queued: accepted, delayed: 5 });
    clock += 2_000;

    // a claim pops 10 ids, then its write of their records is refused: the ids go back to the head of
    // their list in order, so the same tasks come first once the partition is under the limit again
    const [head] = await queue.getMany([firstIds[0]!]);
    expect(head?.status).toBe("queued");
    await expect(queue.claim("burst", 10)).rejects.toThrow("ERR max single record size exceeded");
    // nothing lost, nothing running: the 5 promoted first are queued, or delayed again if their move was undone too
    const after = (await queue.getQueue("burst")).counts;
    expect([after.queued + after.delayed, after.running]).toEqual([accepted + 5, 0]);
    const local = splitTaskId(firstIds[0]!)!.local;
    const list = partitionKeys("limit", "burst", partitionOf(local))[1];
    expect(await redis.lrange(list, 0, 9)).toEqual(firstIds.slice(0, 10).map((id) => splitTaskId(id)!.local));
    // a batch over a fresh partition and the full one: refused as a whole, the fresh one's write undone
    const inFull = `${local.slice(0, 9)}${"Z".repeat(17)}`;
    await expect(queue.enqueue("burst", [{ fn: "echo", input: 1, id: "fresh-2" }, { fn: "echo", input: 2, id: inFull }])).rejects.toThrow(
      "ERR max single record size exceeded",
    );
    expect(await queue.getMany([taskIdOf("burst", "fresh-2"), taskIdOf("burst", inFull)])).toEqual([null, null]);
    // the next step's tasks and other queues have partitions of their own
    clock += 40;
    expect(await queue.enqueue("burst", [{ fn: "echo", input: 1 }])).toMatchObject([{ status: "queued" }]);
    expect(await queue.enqueue("small", [{ fn: "echo", input: 1 }])).toMatchObject([{ status: "queued" }]);
  });
});
