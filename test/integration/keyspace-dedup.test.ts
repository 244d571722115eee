/**
 * Dedup keys in their partitions (ids.ts dedupPartitionOf): random keys (UUIDs) share 128 hashed
 * partitions, so a batch of them touches few hashes; numbered keys stay together; and a sweep entry
 * written before that rule (kind K, its keys where a task id's partition would be) is still swept.
 */
import { describe, expect, it } from "vitest";
import { DEDUP_HASHED_PARTITIONS, dedupPartitionOf, partitionOf } from "../../src/queue/ids";
import { partitionKeys, queueKeyMap } from "../../src/queue/keys";
import { testRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

describe("dedup keys in partitions", () => {
  const { queue, advance, prefix, clock } = queueFixture({ defaults: { dedupWindowMs: 2_000 } });
  const raw = testRedis({ automaticDeserialization: false });

  it("puts a batch of random keys in few hashed partitions, numbered ones together, and finds each", async () => {
    const q = queueName();
    const keys = Array.from({ length: 100 }, () => crypto.randomUUID());
    const labels = new Set(keys.map(dedupPartitionOf));
    // a UUID ending in digits is hashed too (a digit precedes its last ones): at most 128 partitions
    expect([...labels].every((label) => /^%\d+$/.test(label) && Number(label.slice(1)) < DEDUP_HASHED_PARTITIONS)).toBe(true);
    expect(labels.size).toBeLessThan(90);
    expect(new Set(Array.from({ length: 100 }, (_, i) => dedupPartitionOf(`order-${2000 + i}`))).size).toBe(1);
    const first = await queue.enqueue(q, keys.map((dedupKey, i) => ({ fn: "f", input: i, dedupKey })));
    expect(first.every((r) => !r.duplicate)).toBe(true);
    const again = await queue.enqueue(q, keys.map((dedupKey, i) => ({ fn: "f", input: i + 100, dedupKey })));
    expect(again.map((r) => [r.id, r.duplicate])).toEqual(first.map((r) => [r.id, true]));
    const stored = await Promise.all(keys.map((key) => raw.hexists(partitionKeys(prefix, q, dedupPartitionOf(key))[0], `=${key}`)));
    expect(stored.every((n) => n === 1)).toBe(true);
  });

  it("sweeps a dedup entry written before the 128 partitions, where the old rule put it", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 0 }]); // the queue exists
    // as enqueues wrote it before: the entry in the key's partition as a task id, listed by a K sweep entry
    const key = "legacy-key-with-digits-9f3a1";
    const home = partitionOf(key);
    expect(home).not.toBe(dedupPartitionOf(key));
    const due = clock.now + 1_000;
    const records = partitionKeys(prefix, q, home)[0];
    await raw.hset(records, { [`=${key}`]: `${due.toString(36)}|old-task`, [`~K${due}`]: key });
    await raw.zadd(queueKeyMap(prefix, q).sweep, { score: due, member: `K${home}\n${due}` });
    advance(1_001);
    await queue.upkeep(q);
    expect(await raw.hexists(records, `=${key}`)).toBe(0);
    expect(await raw.hexists(records, `~K${due}`)).toBe(0);
    expect(await raw.zcard(queueKeyMap(prefix, q).sweep)).toBe(0);
  });
});
