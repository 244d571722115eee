/**
 * Tasks trickled one per partition (slower than one per 32 ms step) and kept for their result TTL:
 * record-expiry entries are one per due bucket (pieces/expiry.ts), listing ids of any partitions, so
 * the sweep set does not grow with the tasks kept (one member each, 168 bytes, for a day, would pass
 * Upstash's 100 MB near 620,000 tasks: a queue fed 7 tasks a second) nor with the calls that finish
 * them (sweep-record-limit.test.ts runs a longer trickle with several isolates).
 */
import { describe, expect, it } from "vitest";
import { newTaskId } from "../../src/queue/ids";
import { queueKeyMap } from "../../src/queue/index";
import { rawTestRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

describe("the sweep set under a trickle", () => {
  const { queue, clock, prefix } = queueFixture({ defaults: { leaseMs: 1_000, resultTtlMs: 60_000 } });

  const upkeepAll = async (q: string) => {
    const total = { expired: 0, calls: 0 };
    for (let more = true; more; ) {
      const result = await queue.upkeep(q, 1_000);
      total.expired += result.expired ?? 0;
      total.calls++;
      more = result.more;
    }
    return total;
  };

  it("holds a few expiry entries for 300 tasks of 300 partitions, and deletes every record past its time", async () => {
    const q = queueName();
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      clock.now += 40; // each task minted in a 32 ms step of its own: a partition of its own
      ids.push(...(await queue.enqueue(q, [{ fn: "f", input: i }])).map((r) => r.id));
    }
    for (let got = await queue.claim(q, 100); got.length > 0; got = await queue.claim(q, 100)) {
      clock.now += 5;
      await queue.complete(q, got.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: t.input })));
    }
    const sweep = queueKeyMap(prefix, q).sweep;
    // one lease-check entry per claimed partition until the leases are due
    expect(await rawTestRedis().zcard(sweep)).toBe(300);
    clock.now += 2_000;
    expect((await upkeepAll(q)).expired).toBe(0);
    const kept = (await rawTestRedis().zrange(sweep, 0, -1)) as string[];
    expect(kept.every((member) => member.startsWith("G"))).toBe(true);
    // the 300 tasks finished within one second: a handful of entries (one per upkeep call and due
    // 10 s), where one per partition made 300
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThanOrEqual(12);
    expect((await queue.getMany(ids)).every((task) => task?.status === "succeeded")).toBe(true);

    clock.now += 71_000; // expiry entries fall due at the next 10 s past a record's time
    expect((await upkeepAll(q)).expired).toBe(300);
    expect(await rawTestRedis().zcard(sweep)).toBe(0);
    expect((await queue.getMany(ids)).every((task) => task === null)).toBe(true);
  });

  it("lists dedup keys of one second in one list of at most 512, then in the first key's partition, and sweeps them", async () => {
    const q = queueName();
    await queue.updateSettings(q, { dedupWindowMs: 10_000 });
    const keys = Array.from({ length: 600 }, () => newTaskId(clock.now)); // ULIDs of one partition
    for (const key of keys) await queue.enqueue(q, [{ fn: "f", input: 1, dedupKey: key }]);
    const sweep = queueKeyMap(prefix, q).sweep;
    const entries = (await rawTestRedis().zrange(sweep, 0, -1)) as string[];
    const lists = entries.filter((e) => e.startsWith("D"));
    // the second's hashed home takes 512 keys; the rest go to the keys' own partition
    const listed = await Promise.all(
      lists.map(async (e) => {
        const [label, due] = e.slice(1).split("\n") as [string, string];
        const list = (await rawTestRedis().hget(`${prefix}:q:{${q}}:t:${label}`, `~D${due}`)) as string;
        return { hashed: label.startsWith("%"), keys: list.split(",").length };
      }),
    );
    expect(listed.sort((a, b) => b.keys - a.keys)).toEqual([{ hashed: true, keys: 512 }, { hashed: false, keys: 88 }]);
    clock.now += 11_000;
    await upkeepAll(q);
    await upkeepAll(q);
    expect((await rawTestRedis().zrange(sweep, 0, -1)).filter((e) => String(e).startsWith("D"))).toEqual([]);
    // a key past its window is free again
    const [again] = await queue.enqueue(q, [{ fn: "f", input: 2, dedupKey: keys[0] }]);
    expect(again!.duplicate).toBe(false);
  });

  it("lists tasks canceled one by one in their expiry bucket's list, one member, and expires them", async () => {
    const q = queueName();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      clock.now += 40;
      const [task] = await queue.enqueue(q, [{ fn: "f", input: i }]);
      ids.push(task!.id);
      expect(await queue.cancel([task!.id])).toEqual([task!.id]);
    }
    const sweep = queueKeyMap(prefix, q).sweep;
    // 20 cancel calls within a second, 20 partitions: one bucket, one list (one entry per call before)
    const entries = (await rawTestRedis().zrange(sweep, 0, -1)) as string[];
    expect(entries).toHaveLength(1);
    expect(entries[0]!.startsWith("G")).toBe(true);
    expect((await queue.getMany(ids)).every((task) => task?.status === "canceled")).toBe(true);
    clock.now += 71_000;
    expect((await upkeepAll(q)).expired).toBe(20);
    expect(await rawTestRedis().zcard(sweep)).toBe(0);
  });
});
