/**
 * The drain loop's backlog checks (src/runtime/drain.ts) through the real queue core, REST server
 * and redis-server: what a full batch counts as the invocation's own share of the backlog. The clock
 * is the test's and stands still, so a cycle (claim round trip plus the last run) reads as instant,
 * as it nearly is for no-op tasks: the share is then a whole claim pace of batches.
 */
import { afterAll, describe, expect, it } from "vitest";
import { functions } from "../../functions/index";
import { createTaskQueue } from "../../src/queue/index";
import { createBudget } from "../../src/runtime/budget";
import { drainQueue } from "../../src/runtime/drain";
import { createLogger } from "../../src/runtime/logger";
import { queueName } from "../support/names";
import { rawTestRedis, testKeyspace } from "../support/redis-client";

const keys = testKeyspace("drain-check");
afterAll(keys.cleanup);

describe("a full batch's backlog check", () => {
  it("counts one batch as its own at the first batch, and what it takes within a claim pace after", async () => {
    const tasks = createTaskQueue(rawTestRedis(), { prefix: keys.prefix });
    const queue = queueName("check");
    await tasks.enqueue(queue, Array.from({ length: 40 }, (_, n) => ({ fn: "echo", input: n })));
    const clock = { now: () => 1_750_000_000_000 };
    const shares: number[] = [];
    const tally = await drainQueue(
      queue,
      { batchSize: 10, leaseMs: 30_000, claimPaceMs: 100 },
      createBudget({ softMs: 60_000, hardMs: 60_000 }, clock),
      { tasks, functions, clock, log: createLogger("warn", {}, () => {}), concurrency: 10, defaultTimeoutMs: 10_000 },
      async (takesItself) => void shares.push(takesItself),
    );
    expect(tally).toMatchObject({ claimed: 40, succeeded: 40, batches: 4 });
    // four full batches: the first has no cycle to go by (one batch); after it a cycle reads as 0 ms
    // here (the clock stands), floored at 1 ms: a pace of 100 ms takes 100 batches of 10
    expect(shares.filter((share) => share > 0)).toEqual([10, 1_000, 1_000, 1_000]);
  });
});
