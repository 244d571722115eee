/**
 * The sweep set under a trickle, with upkeep called as often as busy isolates call it, under a 24 KB
 * record-size limit. Tasks arrive one per partition (40 ms apart), each with a dedup key of its own
 * partition (a ULID), and finish at once; four "isolates" run upkeep every simulated second. Entries
 * were one per upkeep call and due 10 s for record expiry (G) and one per key partition and due
 * second for dedup expiry (D): the set grew with calls and keys. Now G lists are per due bucket
 * (pieces/expiry.ts) and D lists per due second in one of 128 hashed homes (enqueue.ts), so the set
 * holds about one G member per bucket, one D member per second of the window and the L entries of
 * one lease; and every record, dedup entry and list still goes when its time has passed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RestServer } from "../../dev/rest-server/index";
import { newTaskId } from "../../src/queue/ids";
import { createTaskQueue } from "../../src/queue/index";
import { queueKeyMap } from "../../src/queue/keys";
import { EXPIRY_LIST_IDS } from "../../src/queue/scripts/pieces/expiry";
import type { TaskQueue } from "../../src/queue/types";
import { startLimitedStack, type LimitedStack } from "../support/limited-stack";

const LIMIT = 24 * 1024;
const PREFIX = "sweeplimit";
const SECONDS = 90;
const PER_SECOND = 4;
const RESULT_TTL_MS = 600_000;
const DEDUP_WINDOW_MS = 60_000;
/** 1/1024 of the TTL is under the floor: 10 s buckets. */
const EXPIRY_STEP_MS = 10_000;

describe("the sweep set under a trickle, upkept by four isolates every second", () => {
  let stack: LimitedStack;
  let rest: RestServer;
  let isolates: TaskQueue[];
  let clock = 1_750_000_000_000;
  beforeAll(async () => {
    stack = await startLimitedStack(LIMIT);
    rest = stack.rest;
    isolates = Array.from({ length: 4 }, () => createTaskQueue(stack.redis, { prefix: PREFIX, now: () => clock }));
  });
  afterAll(() => stack.close());

  const members = async (q: string) => {
    const all = (await stack.direct.zrange(queueKeyMap(PREFIX, q).sweep, 0, -1)) as string[];
    const of = (kind: string) => all.filter((m) => m.startsWith(kind)).length;
    return { all: all.length, G: of("G"), D: of("D"), L: of("L") };
  };
  const partitionKeys = (q: string) => stack.direct.keys(`${PREFIX}:q:{${q}}:t:*`);
  const upkeepAll = async (queue: TaskQueue, q: string) => {
    let expired = 0;
    for (let more = true; more; ) {
      const result = await queue.upkeep(q, 1_000);
      expired += result.expired ?? 0;
      more = result.more;
    }
    return expired;
  };

  it("holds a member per due bucket, not per call or key, and lets every record and dedup key expire", async () => {
    const q = "trickle";
    const [first] = isolates as [TaskQueue];
    await first.updateSettings(q, { leaseMs: 1_000, resultTtlMs: RESULT_TTL_MS, dedupWindowMs: DEDUP_WINDOW_MS });
    const ids: string[] = [];
    let most = { all: 0, G: 0, D: 0, L: 0 };
    for (let second = 1; second <= SECONDS; second++) {
      for (let i = 0; i < PER_SECOND; i++) {
        clock += 40; // a 32 ms partition of its own for each task and each key
        const [result] = await first.enqueue(q, [{ fn: "echo", input: ids.length, dedupKey: newTaskId(clock) }]);
        ids.push(result!.id);
      }
      const claimed = await first.claim(q, 10);
      expect(claimed).toHaveLength(PER_SECOND);
      await first.complete(q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
      clock += 1_000 - PER_SECOND * 40;
      for (const isolate of isolates) await isolate.upkeep(q, 1_000);
      await rest.checkRecordSizes();
      const now = await members(q);
      most = { all: Math.max(most.all, now.all), G: Math.max(most.G, now.G), D: Math.max(most.D, now.D), L: Math.max(most.L, now.L) };
      // one record-expiry member per 10 s bucket the finished tasks fall in (each far below a list's 512 ids)
      expect(now.G).toBeLessThanOrEqual(Math.ceil((second * 1_000) / EXPIRY_STEP_MS) + 1);
      // one dedup-expiry member per due second of the window; before, one per key
      expect(now.D).toBeLessThanOrEqual(DEDUP_WINDOW_MS / 1_000 + 1);
      // lease checks of the last lease: this second's claim (a member per partition claimed)
      expect(now.L).toBeLessThanOrEqual(PER_SECOND);
    }
    // 360 tasks kept, 240 dedup keys alive: the set holds the buckets' members alone
    expect(most.G).toBeGreaterThanOrEqual(SECONDS / 10);
    expect(most.D).toBeGreaterThanOrEqual(DEDUP_WINDOW_MS / 1_000 - 1);
    expect((await first.getMany(ids)).every((task) => task?.status === "succeeded")).toBe(true);
    // no key passed the limit: no write was refused (the trickle above would have thrown)

    clock += RESULT_TTL_MS + EXPIRY_STEP_MS;
    let expired = 0;
    for (const isolate of isolates) expired += await upkeepAll(isolate, q);
    expect(expired).toBe(ids.length);
    expect(await members(q)).toEqual({ all: 0, G: 0, D: 0, L: 0 });
    expect((await first.getMany(ids)).every((task) => task === null)).toBe(true);
    // every partition's hash went: records, dedup entries, the lists and their homes
    expect(await partitionKeys(q)).toEqual([]);
  });

  it("splits a busy bucket into lists of 512 ids, each a member of its own, and expires them all", async () => {
    const q = "busy";
    const [first] = isolates as [TaskQueue];
    await first.updateSettings(q, { leaseMs: 1_000, resultTtlMs: RESULT_TTL_MS });
    const tasks = 1_300;
    const ids = (await first.enqueue(q, Array.from({ length: tasks }, (_, i) => ({ fn: "echo", input: i })))).map((r) => r.id);
    for (let claimed = await first.claim(q, 500); claimed.length > 0; claimed = await first.claim(q, 500)) {
      await first.complete(q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
    }
    clock += 2_000;
    for (const isolate of isolates) await upkeepAll(isolate, q);
    const sweep = queueKeyMap(PREFIX, q).sweep;
    const entries = (await stack.direct.zrange(sweep, 0, -1)) as string[];
    expect(entries.every((m) => m.startsWith("G"))).toBe(true);
    // one bucket: ceil(1,300 / 512) lists, each in the hash of its own partition
    expect(entries).toHaveLength(Math.ceil(tasks / EXPIRY_LIST_IDS));
    for (const entry of entries) {
      const [label, due] = entry.slice(1).split("\n") as [string, string];
      const list = (await stack.direct.hget(`${PREFIX}:q:{${q}}:t:${label}`, `~G${due}`))!.split(",");
      expect(list.length).toBeLessThanOrEqual(EXPIRY_LIST_IDS);
    }

    clock += RESULT_TTL_MS + EXPIRY_STEP_MS;
    let expired = 0;
    for (const isolate of isolates) expired += await upkeepAll(isolate, q);
    expect(expired).toBe(tasks);
    expect(await stack.direct.zcard(sweep)).toBe(0);
    expect(await partitionKeys(q)).toEqual([]);
    expect((await first.getMany(ids)).every((task) => task === null)).toBe(true);
  });

  it("puts a list merged into back as it was when a later write of the same call is refused", async () => {
    const q = "refused";
    const [first] = isolates as [TaskQueue];
    await first.updateSettings(q, { leaseMs: 1_000, resultTtlMs: RESULT_TTL_MS });
    clock = Math.ceil(clock / EXPIRY_STEP_MS) * EXPIRY_STEP_MS + 1_000; // both batches finish in one bucket
    const finishBatch = async (n: number) => {
      const ids = (await first.enqueue(q, Array.from({ length: n }, (_, i) => ({ fn: "echo", input: i })))).map((r) => r.id);
      for (let claimed = await first.claim(q, 500); claimed.length > 0; claimed = await first.claim(q, 500)) {
        await first.complete(q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
      }
      return ids;
    };
    const due = Math.ceil((clock + RESULT_TTL_MS) / EXPIRY_STEP_MS) * EXPIRY_STEP_MS;
    const chunkKey = (chunk: number) => `${PREFIX}:q:{${q}}:t:${newTaskId(due + 32 * chunk).slice(0, 9)}`;
    const ids = await finishBatch(500);
    clock += 2_000;
    await upkeepAll(first, q);
    const listed = await stack.direct.hget(chunkKey(0), `~G${due}`);
    expect(listed!.split(",")).toHaveLength(500);
    // the bucket's next chunk lives in a hash at the limit: the next call fills chunk 0 to 512, then is refused there
    await stack.redis.hset(chunkKey(1), { ballast: "x".repeat(LIMIT) });
    await rest.checkRecordSizes();
    ids.push(...(await finishBatch(100)));
    clock += 2_000;
    await expect(first.upkeep(q, 1_000)).rejects.toThrow(/max single record size exceeded/);
    // chunk 0's list as it was (deleting it would leave 500 records no entry expires)
    expect(await stack.direct.hget(chunkKey(0), `~G${due}`)).toBe(listed);

    await stack.redis.hdel(chunkKey(1), "ballast");
    await rest.checkRecordSizes();
    await upkeepAll(first, q);
    // the refused call moved the bucket's pointer on (meta is not undone): the retry fills chunk 1
    const lists = await Promise.all([0, 1].map(async (chunk) => (await stack.direct.hget(chunkKey(chunk), `~G${due}`))!.split(",")));
    expect(lists.map((list) => list.length)).toEqual([500, 100]);
    clock += RESULT_TTL_MS + EXPIRY_STEP_MS;
    expect(await upkeepAll(first, q)).toBe(ids.length);
    expect(await partitionKeys(q)).toEqual([]);
  });
});
