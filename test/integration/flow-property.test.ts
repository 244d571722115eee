import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClaimedTask, EnqueueRequest, FlowControl } from "../../src/queue/types";
import { rawTestRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

/** Flow keys, one with every character the record head escapes. */
const KEYS = ["k0", "k1", "k2", "a|b%c\nd e"];
const WORKERS = 3;
const LEASE = 1_000;

type Action =
  | { kind: "enqueue"; key: number; n: number; parallelism?: number; rate?: number; periodMs: number; priority: number }
  | { kind: "enqueuePlain"; n: number }
  | { kind: "claim"; worker: number; n: number }
  | { kind: "complete" | "extend"; worker: number; pick: number }
  | { kind: "fail"; worker: number; pick: number; retryable: boolean }
  | { kind: "advance"; ms: number }
  | { kind: "upkeep" }
  | { kind: "cancel"; pick: number };

const worker = fc.nat(WORKERS - 1);
const limits = fc
  .record({ parallelism: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), rate: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) })
  .filter((l) => l.parallelism !== undefined || l.rate !== undefined);
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.nat(KEYS.length - 1), fc.integer({ min: 1, max: 4 }), limits, fc.constantFrom(500, 1_000), fc.constantFrom(0, 0, 3))
      .map(([key, n, l, periodMs, priority]) => ({ kind: "enqueue" as const, key, n, ...l, periodMs, priority })),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("enqueuePlain" as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("claim" as const), worker, n: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom("complete" as const, "extend" as const), worker, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("fail" as const), worker, pick: fc.nat(), retryable: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(100, 300, 1_000, 2_500) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("upkeep" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
);

interface Lease {
  id: string;
  key: string | null;
  token: string;
  until: number;
  settled: boolean;
}

/**
 * Random enqueues (with limit changes: the latest enqueued task's limits win), claims, settles,
 * lease extensions and expiries, upkeep and cancels across three workers sharing one clock. Checked
 * at every claim: no key runs more than its parallelism (leases not settled and not expired), no key
 * starts more than its rate in the window of its period, and no key with a queued task and a free
 * slot goes K claims in a row (with no enqueue between) without a claim, K = queued tasks + 2: every claim takes at least one
 * task from the heads of the lanes (the lane of tasks without a key takes one turn a round; batches
 * share fairly, see flow-control.test.ts). The clock moves, so tasks fall in many partitions: their
 * flow queues are merged in score order and held tasks kept in their partitions (scripts/pieces/
 * flow-*.ts). At the end, every task is succeeded, dead or canceled, and nothing keyed is left: no
 * task counted as queued, no flow queue, no held field.
 */
describe("flow control: property-based interleavings", () => {
  const { queue, clock, advance, prefix } = queueFixture({ defaults: { leaseMs: LEASE, maxAttempts: 3, backoff: { type: "fixed", baseMs: 0, maxMs: 0, jitter: 0 } } });
  const raw = rawTestRedis();

  it("keeps every key within its parallelism and rate, starves no key, and ends every task", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 25, maxLength: 60, size: "max" }), async (actions) => {
        const q = queueName("flowprop");
        const limitsOf = new Map<string, FlowControl>();
        const keyOf = new Map<string, string | null>();
        const ids: string[] = [];
        const leases: Lease[] = [];
        const starts: { key: string; at: number }[] = [];
        const held: Lease[][] = Array.from({ length: WORKERS }, () => []);
        const streak = new Map<string, [number, number]>();

        const live = (key: string) => leases.filter((l) => l.key === key && !l.settled && l.until > clock.now).length;
        const started = (key: string, period: number) => starts.filter((s) => s.key === key && s.at > clock.now - period).length;
        const freeOf = (key: string) => {
          const l = limitsOf.get(key)!;
          return Math.min(l.parallelism === undefined ? Infinity : l.parallelism - live(key), l.rate === undefined ? Infinity : l.rate! - started(key, l.periodMs!));
        };
        const claim = async (w: number, n: number) => {
          const records = await queue.getMany(ids);
          const queued = records.filter((r) => r?.status === "queued").length;
          const eligible = KEYS.filter((key) => limitsOf.has(key) && freeOf(key) > 0 && records.some((r) => r?.status === "queued" && r.flowControl?.key === key));
          const free = new Map(KEYS.filter((k) => limitsOf.has(k)).map((k) => [k, freeOf(k)]));
          const claimed: ClaimedTask[] = await queue.claim(q, n);
          expect(claimed.length).toBeLessThanOrEqual(n);
          const per = new Map<string, number>();
          for (const task of claimed) {
            const key = keyOf.get(task.id)!;
            const lease: Lease = { id: task.id, key, token: task.leaseToken, until: task.leaseUntil, settled: false };
            leases.push(lease);
            held[w]!.push(lease);
            if (key !== null) {
              per.set(key, (per.get(key) ?? 0) + 1);
              starts.push({ key, at: clock.now });
            }
          }
          for (const [key, count] of per) expect(count, `claims of ${JSON.stringify(key)}`).toBeLessThanOrEqual(Math.max(0, free.get(key)!));
          for (const key of eligible) {
            // K is fixed when the streak starts: the tasks queued then, + 2
            if (per.has(key)) {
              streak.delete(key);
              continue;
            }
            const [s, bound] = [(streak.get(key)?.[0] ?? 0) + 1, streak.get(key)?.[1] ?? queued + 2];
            streak.set(key, [s, bound]);
            expect(s, `claims in a row without ${JSON.stringify(key)}`).toBeLessThanOrEqual(bound);
          }
          for (const key of KEYS) if (!eligible.includes(key)) streak.delete(key);
        };
        const settle = async (w: number, pick: number, how: "complete" | "fail" | "extend", retryable = true) => {
          const mine = held[w]!;
          if (mine.length === 0) return;
          const lease = mine.splice(pick % mine.length, 1)[0]!;
          if (how === "extend") {
            const [renewed] = await queue.extendLeases(q, [{ id: lease.id, leaseToken: lease.token }]);
            if (renewed!.leaseUntil !== null) {
              lease.until = renewed!.leaseUntil;
              mine.push(lease);
            }
            return;
          }
          const outcomes =
            how === "complete"
              ? await queue.complete(q, [{ id: lease.id, leaseToken: lease.token, result: null }])
              : await queue.fail(q, [{ id: lease.id, leaseToken: lease.token, error: "boom", retryable }]);
          if (outcomes[0]!.outcome !== "stale") lease.settled = true;
        };

        for (const a of actions) {
          // the starvation bound is over a fixed backlog: new tasks (maybe of a higher priority) restart it
          if (a.kind === "enqueue" || a.kind === "enqueuePlain") streak.clear();
          if (a.kind === "enqueue") {
            const key = KEYS[a.key]!;
            const flowControl: FlowControl = { key, periodMs: a.periodMs, ...(a.parallelism ? { parallelism: a.parallelism } : {}), ...(a.rate ? { rate: a.rate } : {}) };
            const tasks = Array.from({ length: a.n }, (): EnqueueRequest => ({ fn: "f", input: null, priority: a.priority, flowControl }));
            for (const r of await queue.enqueue(q, tasks)) (ids.push(r.id), keyOf.set(r.id, key));
            // a longer period cannot count starts the shorter one had already let go of, nor a new
            // rate the starts made while the key had none (they are logged only under a rate)
            const before = limitsOf.get(key);
            const forget = (at: number) => !before || before.rate === undefined || at <= clock.now - before.periodMs!;
            for (let i = starts.length - 1; i >= 0; i--) if (starts[i]!.key === key && forget(starts[i]!.at)) starts.splice(i, 1);
            limitsOf.set(key, flowControl);
          } else if (a.kind === "enqueuePlain") {
            for (const r of await queue.enqueue(q, Array.from({ length: a.n }, () => ({ fn: "f", input: null })))) (ids.push(r.id), keyOf.set(r.id, null));
          } else if (a.kind === "claim") await claim(a.worker, a.n);
          else if (a.kind === "complete" || a.kind === "extend") await settle(a.worker, a.pick, a.kind);
          else if (a.kind === "fail") await settle(a.worker, a.pick, "fail", a.retryable);
          else if (a.kind === "advance") advance(a.ms);
          else if (a.kind === "upkeep") await queue.upkeep(q);
          else if (ids.length > 0) await queue.cancel([ids[a.pick % ids.length]!]);
        }

        // drain: every task ends succeeded, dead or canceled
        for (let round = 0; round < 200; round++) {
          const records = await queue.getMany(ids);
          if (records.every((r) => r && ["succeeded", "dead", "canceled"].includes(r.status))) break;
          advance(1_100);
          await queue.upkeep(q);
          await claim(0, 20);
          const mine = held[0]!.splice(0);
          const outcomes = await queue.complete(q, mine.map((l) => ({ id: l.id, leaseToken: l.token, result: null })));
          outcomes.forEach((o, i) => o.outcome !== "stale" && (mine[i]!.settled = true));
        }
        const final = await queue.getMany(ids);
        for (const [i, r] of final.entries()) expect(r?.status, `task ${ids[i]}`).toMatch(/^(succeeded|dead|canceled)$/);
        // canceled keyed tasks count as queued until a claim pops them (held ones once their key is
        // open again): one more claim, past every window, finds nothing
        advance(1_100);
        expect(await queue.claim(q, 50)).toEqual([]);
        expect((await queue.getQueue(q)).counts).toMatchObject({ queued: 0, running: 0 });
        expect(await queue.flowTotals(q)).toEqual({ activeKeys: 0, queued: 0, held: 0 });
        expect(await raw.keys(`${prefix}:q:{${q}}:f:*`)).toEqual([]);
        // a claim that took a partition's last tasks without seeing it empty leaves its index entry
        // (a lower bound); the next claim that reaches it drops it
        expect(await raw.zcard(`${prefix}:q:{${q}}:flow:queue`)).toBe(0);
        const records = await raw.keys(`${prefix}:q:{${q}}:t:*`);
        for (const key of records) expect((await raw.hkeys(key)).filter((f) => f.startsWith("~H")), key).toEqual([]);
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
