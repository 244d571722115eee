/**
 * What flow-control keys cost, as redis-server counts it (MONITOR, script-inner calls included): an
 * enqueue of 100 and a settle-and-claim of 100 with keys beside the same calls without. Issue 14 allows
 * ≤ 0.05 extra commands a task at batch 100 (bench/flow.ts measures it over a whole drain); per call
 * that is the keys' state (one HMGET and one HSET of the flow hash) and nothing else. The lane of tasks
 * without a key, found empty once, is not read again until a task without a key is made ready.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startMonitor } from "../../bench/redis-trace";
import type { ClaimedTask, EnqueueRequest } from "../../src/queue/types";
import { rawTestRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

const BATCH = 100;
const tasks = (keys: number) => (n: number): EnqueueRequest[] =>
  Array.from({ length: n }, (_, i) => ({ fn: "f", input: i, ...(keys > 0 ? { flowControl: { key: `tenant-${i % keys}`, parallelism: 100_000 } } : {}) }));
const done = (claimed: ClaimedTask[]) => claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null }));

describe("flow control: commands per call", () => {
  const { queue, prefix, advance } = queueFixture({ defaults: { leaseMs: 60_000 } });
  const redis = rawTestRedis();
  let seen: string[][] = [];
  let stop: () => void = () => {};
  beforeAll(async () => {
    stop = await startMonitor(inject("redisPort"), ({ args }) => {
      // MEMORY USAGE is the REST server's own probe of record sizes, not a command edgeq sends
      if (args.some((arg) => arg.startsWith(prefix)) && args[0]?.toUpperCase() !== "MEMORY") seen.push(args);
    });
  });
  afterAll(() => stop());

  /** Waits until MONITOR's feed, which may trail the replies, has shown a marker sent after them. */
  let marks = 0;
  async function caughtUp(): Promise<void> {
    const mark = `${prefix}mark:${++marks}`;
    await redis.exists(mark);
    for (let i = 0; i < 250 && !seen.some((args) => args[1] === mark); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.some((args) => args[1] === mark)).toBe(true);
  }

  /** The commands one script call made (its EVALSHA and the calls inside it). */
  async function traced(call: () => Promise<unknown>): Promise<string[][]> {
    await caughtUp();
    seen = [];
    await call();
    await caughtUp();
    const calls = seen.filter((args) => args[0]?.toUpperCase() !== "EXISTS");
    expect(calls.filter((args) => /^EVAL/i.test(args[0]!))).toHaveLength(1);
    return calls;
  }

  /** A queue filled with 3 batches and one claimed, then one enqueue and one settle-and-claim traced. */
  async function steadyCalls(keys: number) {
    const q = queueName(keys > 0 ? "keyed" : "plain");
    for (let i = 0; i < 3; i++) await queue.enqueue(q, tasks(keys)(BATCH));
    let claimed = await queue.claim(q, BATCH);
    // the first claims find the lane without a key empty (and mark it)
    claimed = (await queue.settleAndClaim(q, { completions: done(claimed), failures: [] }, BATCH)).claimed;
    const enqueue = await traced(() => queue.enqueue(q, tasks(keys)(BATCH)));
    let next: ClaimedTask[] = [];
    const claim = await traced(async () => void (next = (await queue.settleAndClaim(q, { completions: done(claimed), failures: [] }, BATCH)).claimed));
    expect(next).toHaveLength(BATCH);
    return { q, enqueue, claim, next };
  }

  it("adds the keys' state alone (an HMGET and an HSET) to an enqueue and to a settle-and-claim of 100", async () => {
    const plain = await steadyCalls(0);
    const keyed = await steadyCalls(10);
    const names = (calls: string[][]) => calls.map((args) => args[0]!.toUpperCase()).sort();
    // a fixed extra per call that comes back (the ready index read by each claim, a hint rewritten each
    // call, a state read twice) fails here; 2 extra a call of 100 is 0.02 a task
    // [cmds] 3 for the enqueue: the plain one's counts are one HINCRBY of the enqueue ledger (stats/lua.ts)
    // where the keyed one, whose flow counters the ledger does not take, reads and writes the stats hash
    expect(keyed.enqueue.length - plain.enqueue.length, `${names(plain.enqueue)} / ${names(keyed.enqueue)}`).toBeLessThanOrEqual(3);
    expect(keyed.claim.length - plain.claim.length, `${names(plain.claim)} / ${names(keyed.claim)}`).toBeLessThanOrEqual(2);
    // the keyed claim reads the ready index not at all: the lane without a key is known empty
    expect(keyed.claim.filter((args) => args[1]?.endsWith(":rparts"))).toEqual([]);
    expect(plain.claim.length).toBeGreaterThan(4);
  });

  it("a task without a key made ready clears the mark: the next claim reads the lane and takes it", async () => {
    const { q, next, claim: marked } = await steadyCalls(10);
    // the mark was in effect: this claim read no ready index
    expect(marked.filter((args) => args[1]?.endsWith(":rparts"))).toEqual([]);
    await queue.enqueue(q, [{ fn: "f", input: "without a key" }]);
    let claimed: ClaimedTask[] = [];
    const claim = await traced(async () => void (claimed = (await queue.settleAndClaim(q, { completions: done(next), failures: [] }, BATCH)).claimed));
    expect(claim.some((args) => args[1]?.endsWith(":rparts"))).toBe(true);
    expect(claimed.filter((t) => t.input === "without a key")).toHaveLength(1);
  });

  it("every way a task without a key becomes ready clears the mark: a lease reclaimed, a dead task retried", async () => {
    const q = queueName("ways");
    await queue.enqueue(q, tasks(10)(300));
    const [plain] = await queue.enqueue(q, [{ fn: "f", input: "without a key" }]);
    const isPlain = (t: ClaimedTask) => t.id === plain!.id;
    const first = await queue.claim(q, 50);
    expect(first.filter(isPlain)).toHaveLength(1);
    /** A claim of 10 while keys are active: whether it read the ready index, and the task without a key if it took it. */
    const claimTen = async () => {
      let claimed: ClaimedTask[] = [];
      const calls = await traced(async () => void (claimed = await queue.claim(q, 10)));
      return { readLane: calls.some((args) => args[1]?.endsWith(":rparts")), plain: claimed.find(isPlain) };
    };
    // the lane is empty now: one claim finds it so and marks it, the next reads nothing of it
    expect(await claimTen()).toMatchObject({ readLane: true, plain: undefined });
    expect(await claimTen()).toMatchObject({ readLane: false, plain: undefined });
    // its lease runs out and upkeep makes it ready again
    advance(61_000);
    expect((await queue.upkeep(q)).requeued).toBeGreaterThan(0);
    const reclaimed = await claimTen();
    expect(reclaimed.readLane).toBe(true);
    expect(reclaimed.plain).toBeDefined();
    // it dies, the lane is marked again, and a retry from the dead list clears the mark
    await queue.fail(q, [{ id: reclaimed.plain!.id, leaseToken: reclaimed.plain!.leaseToken, error: "boom", retryable: false }]);
    await claimTen();
    expect(await claimTen()).toMatchObject({ readLane: false, plain: undefined });
    expect(await queue.retryDead(q, [plain!.id])).toBe(1);
    const retried = await claimTen();
    expect(retried.readLane).toBe(true);
    expect(retried.plain).toBeDefined();
  });
});
