/**
 * The registry (the list of queues) is off the hot path: an enqueue sends it only to register the
 * queue, once a minute per isolate, and a worker's start never reads it; a queue's totals live in its
 * stats hash. Registries written before the move (counts as values) are taken over by the upkeep.
 */
import { describe, expect, it } from "vitest";
import { queueKeyMap, registryKey } from "../../src/queue/keys";
import { testRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

describe("queue registry off the hot path", () => {
  const { queue, prefix, advance } = queueFixture();
  const redis = testRedis();

  it("an enqueue registers its queue, leaves the registry alone for a minute, then registers it again", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "echo", input: 1 }]);
    expect(await redis.hget(registryKey(prefix), q)).toBe(0);
    // lose the entry: enqueues within the minute do not send the registry key, so it stays lost
    await redis.hdel(registryKey(prefix), q);
    await queue.enqueue(q, [{ fn: "echo", input: 2 }]);
    expect(await redis.hget(registryKey(prefix), q)).toBeNull();
    // a worker's start does not need it: the queue exists by its totals
    const start = await queue.startInvocation(q);
    expect(start.kind).toBe("started");
    if (start.kind === "started") {
      expect(start.summary.counts).toMatchObject({ enqueued: 2, queued: 2 }); // as before its claim
      expect(start.claimed).toHaveLength(2);
    }
    advance(60_000);
    await queue.enqueue(q, [{ fn: "echo", input: 3 }]);
    expect(await redis.hget(registryKey(prefix), q)).toBe(0);
    expect((await queue.listQueues()).map((s) => s.name)).toContain(q);
    expect((await queue.getQueue(q)).counts.enqueued).toBe(3);
  });

  it("a queue registered before the move keeps its count: moved to its stats hash when read, or by upkeep", async () => {
    const q = queueName();
    await queue.enqueue(q, [1, 2, 3, 4, 5].map((input) => ({ fn: "echo", input })));
    // the layout before: the count in the registry, none in the stats hash
    await redis.hdel(queueKeyMap(prefix, q).stats, "enqueued");
    await redis.hset(registryKey(prefix), { [q]: 5 });
    expect((await queue.startInvocation(q)).kind).toBe("missing");
    await queue.upkeep(q);
    expect(await redis.hget(registryKey(prefix), q)).toBe(0);
    expect(await redis.hget(queueKeyMap(prefix, q).stats, "enqueued")).toBe(5);
    const start = await queue.startInvocation(q);
    expect(start.kind === "started" && start.summary.counts.enqueued).toBe(5);
    // read before any upkeep: the read moves it
    const other = queueName();
    await queue.enqueue(other, [{ fn: "echo", input: 1 }]);
    await redis.hdel(queueKeyMap(prefix, other).stats, "enqueued");
    await redis.hset(registryKey(prefix), { [other]: 1 });
    expect((await queue.getQueue(other)).counts).toMatchObject({ enqueued: 1, queued: 1 });
    expect(await redis.hget(registryKey(prefix), other)).toBe(0);
  });

  it("a queue created by its settings exists with nothing enqueued", async () => {
    const q = queueName();
    await queue.updateSettings(q, { batchSize: 7 });
    expect((await queue.getQueue(q)).counts.enqueued).toBe(0);
    const start = await queue.startInvocation(q);
    expect(start.kind === "started" && start.summary.settings.batchSize).toBe(7);
  });
});
