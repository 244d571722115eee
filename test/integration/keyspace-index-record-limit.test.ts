/**
 * The partition indexes (READY, PPARTS, DPARTS, XPARTS: one member per partition holding such work)
 * under a 96 KB record-size limit. Tasks trickled one per partition into a paused queue grow each
 * index with partitions; upkeep folds an index past its fold size into group sub-indexes
 * (scripts/pieces/part-index.ts), so no index key passes the limit while the partitions' entries
 * together do (the one-level index would have been refused), and the queue then drains in order:
 * priorities first, then FIFO; the delayed ones promoted when due; the dead paged newest first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RestServer } from "../../dev/rest-server/index";
import { newTaskId } from "../../src/queue/ids";
import { createTaskQueue } from "../../src/queue/index";
import { queueKeyMap } from "../../src/queue/keys";
import type { ClaimedTask, TaskQueue } from "../../src/queue/types";
import { startLimitedStack, type LimitedStack } from "../support/limited-stack";

const LIMIT = 96 * 1024;
const PREFIX = "ixlimit";
const Q = "trickle";

describe("partition indexes under a 96 KB record-size limit", () => {
  let stack: LimitedStack;
  let rest: RestServer;
  let queue: TaskQueue;
  let direct: LimitedStack["direct"];
  let clock = 1_750_000_000_000;
  beforeAll(async () => {
    stack = await startLimitedStack(LIMIT);
    ({ rest, direct } = stack);
    queue = createTaskQueue(stack.redis, { prefix: PREFIX, now: () => clock });
  });
  afterAll(() => stack.close());

  const size = async (key: string) => Number(await direct.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
  /** An index and its groups' sub-indexes (the keys of its slot, `<kind>:^<group>`). */
  const indexKeys = async (index: string, kind: string) => [index, ...(await direct.keys(`${PREFIX}:q:{${Q}}:${kind}:^*`))];
  /**
   * Claims until the queue is empty; completes each batch and sweeps it after its lease and result
   * TTL, as a drain and the cron would: the sweep set holds a lease-check entry per partition a claim
   * touched until then, which one-task partitions would take past this small limit.
   */
  const drain = async (max: number, settle = true) => {
    const out: ClaimedTask[] = [];
    for (;;) {
      const claimed = await queue.claim(Q, max);
      if (claimed.length === 0) return out;
      out.push(...claimed);
      if (settle) {
        await queue.complete(Q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
        clock += 2_500;
        while ((await queue.upkeep(Q, 1_000)).more);
      }
      await rest.checkRecordSizes();
    }
  };

  it("keeps every index key under the limit with 3,000 one-task partitions, then drains them in order", async () => {
    const keys = queueKeyMap(PREFIX, Q);
    await queue.updateSettings(Q, { paused: true, maxAttempts: 1, leaseMs: 1_000, resultTtlMs: 1_000 });
    // caller-given ULIDs 5 s apart: one partition a task, some 200 partitions a group (17.5 minutes)
    const ready: string[] = [];
    const prio: string[] = [];
    const delayed: string[] = [];
    const BATCH = 250;
    for (let round = 0; round < 11; round++) {
      const batch = Array.from({ length: BATCH }, (_, i) => {
        const id = newTaskId(clock - 100_000_000 + (round * BATCH + i) * 5_000);
        const kind = i % 5;
        if (kind < 2) ready.push(id);
        else if (kind < 4) prio.push(id);
        else delayed.push(id);
        return { fn: "echo", input: i, id, ...(kind >= 2 && kind < 4 ? { priority: 5 } : {}), ...(kind === 4 ? { delayMs: 3_600_000 } : {}) };
      });
      clock += 50;
      await queue.enqueue(Q, batch);
      await rest.checkRecordSizes();
      // the cron's upkeep, which folds an index grown past its fold size
      await queue.upkeep(Q);
      await rest.checkRecordSizes();
    }
    // 250 ready partitions more, by caller-numbered ids (hashed groups): one partition per hundred
    for (let round = 0; round < 1; round++) {
      const batch = Array.from({ length: BATCH }, (_, i) => ({ fn: "echo", input: i, id: `n-${(round * BATCH + i) * 100}` }));
      ready.push(...batch.map((t) => t.id));
      clock += 50;
      await queue.enqueue(Q, batch);
      await queue.upkeep(Q);
      await rest.checkRecordSizes();
    }
    for (const [index, kind] of [[keys.ready, "r"], [keys.prioritized, "p"]] as const) {
      const all = await indexKeys(index, kind);
      // partitions indexed (members but the groups' own entries), at the index's own bytes a member
      const members = (await Promise.all(all.map(async (key) => (await direct.zrange(key, 0, -1)).filter((m) => !m.startsWith("^")).length))).reduce((a, b) => a + b, 0);
      const perMember = (await size(index)) / (await direct.zcard(index));
      expect(members).toBe(kind === "r" ? ready.length : prio.length);
      // one index would have passed the limit; no key does, and the index itself stays near its fold size
      expect(members * perMember).toBeGreaterThan(LIMIT);
      expect(Math.max(...(await Promise.all(all.map(size))))).toBeLessThan(LIMIT);
      expect(await direct.zcard(index)).toBeLessThan(800);
      expect(all.length).toBeGreaterThan(2);
    }

    // canceled tasks of folded partitions (their sets empty, their entries left in the groups) are
    // not claimed, and their entries heal as the claims meet them
    const canceled = [prio[700]!, prio[701]!, ready[300]!, delayed[400]!].map((id) => `${Q}~${id}`);
    expect((await queue.cancel(canceled)).sort()).toEqual([...canceled].sort());
    const gone = new Set(canceled);
    await queue.updateSettings(Q, { paused: false });
    const claimed = await drain(100);
    // priorities first in enqueue order, then the ready ones FIFO
    expect(claimed.map((t) => t.id)).toEqual([...prio, ...ready].map((id) => `${Q}~${id}`).filter((id) => !gone.has(id)));
    expect((await queue.getQueue(Q)).counts).toMatchObject({ queued: 0, delayed: 549, canceled: 4 });

    // the delayed ones (a folded DPARTS) come due: promoted and claimed, then failed to dead
    clock += 3_600_001;
    await queue.upkeep(Q);
    const due = await drain(100, false);
    expect(due.map((t) => t.id).sort()).toEqual(delayed.map((id) => `${Q}~${id}`).filter((id) => !gone.has(id)).sort());
    for (let at = 0; at < due.length; at += 100) {
      clock += 1;
      const failed = await queue.fail(Q, due.slice(at, at + 100).map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: "no", retryable: true })));
      expect(failed.every((o) => o.outcome === "dead")).toBe(true);
    }
    await queue.upkeep(Q);
    expect(await direct.zcard(keys.dead)).toBeLessThan(480);
    // the dead page merges the folded dead index: newest first
    const page = await queue.listDead(Q, { offset: 0, limit: 20 });
    // the last batch died in one ms: ties go by id, the greatest first
    expect(page.map((r) => r.id)).toEqual(due.slice(-100).map((t) => t.id).sort().reverse().slice(0, 20));
    expect(await queue.purgeDead(Q)).toBe(549);
    expect((await queue.getQueue(Q)).counts).toMatchObject({ queued: 0, delayed: 0, dead: 0 });
    // emptied groups leave the indexes as readers meet them
    await queue.upkeep(Q);
    expect(await direct.zcard(keys.ready)).toBe(0);
    expect(await direct.zcard(keys.prioritized)).toBe(0);
  }, 60_000);
});
