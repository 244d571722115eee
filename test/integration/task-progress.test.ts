/**
 * ctx.progress through the real runtime, REST server and redis-server: however often tasks report,
 * a batch writes at most one request a second, the latest value is what a reader sees, and the
 * batch's entries are gone once it settles.
 */
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { countRestRequests } from "../../bench/rest-counter";
import { createTaskQueue } from "../../src/queue/index";
import { createProgressStore, MAX_PROGRESS_BYTES } from "../../src/queue/progress";
import type { TaskQueue } from "../../src/queue/types";
import { defineFunction } from "../../src/runtime/function";
import { createLogger } from "../../src/runtime/logger";
import { handlePush } from "../../src/runtime/push";
import { registry } from "../../src/runtime/registry";
import { startReceiver, type Receiver } from "../support/qstash-receiver";
import { testRedis } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";
import { queueName } from "../support/names";

const log = createLogger("warn", {}, () => {});
const fast = { responseEncoding: false, automaticDeserialization: false } as const;
let receiver: Receiver;
let tasks: TaskQueue;
const progress = createProgressStore(testRedis(fast));

beforeAll(async () => {
  receiver = await startReceiver();
  tasks = createTaskQueue(testRedis(fast), {});
});
afterAll(() => receiver.close());

/** Reports as fast as the event loop allows for about `ms`; task n=0 lets the test peek at call 20 and after 1.2 s. */
function chatty(ms: number, peek: (taskId: string, calls: number) => Promise<void> = async () => {}, report = true) {
  return defineFunction({
    name: "chatty",
    input: z.object({ n: z.int() }),
    async run({ n }, ctx) {
      const started = Date.now();
      let calls = 0;
      let peeked = 0;
      while (Date.now() - started < ms) {
        ++calls;
        if (report) ctx.progress({ done: calls, n });
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (n !== 0) continue;
        if (calls === 20 || (peeked === 1 && Date.now() - started > 1_200)) {
          peeked++;
          await peek(ctx.taskId, calls);
        }
      }
      return { calls };
    },
  });
}

describe("task progress", () => {
  it("coalesces thousands of reports from a batch into at most one Redis request a second, riding the lease extension", async () => {
    const counter = countRestRequests(inject("restUrl"));
    const runMs = 2_500;
    // The same batch silent and reporting: the difference is what progress cost.
    const requestsOf = async (report: boolean, leaseMs = 30_000) => {
      const queue = queueName(report ? "coalesce" : "silent");
      await tasks.enqueue(queue, Array.from({ length: 5 }, (_, n) => ({ fn: "chatty", input: { n } })));
      await tasks.updateSettings(queue, { batchSize: 5, leaseMs });
      const before = counter.requests();
      const done = await handlePush(testEnv(`${receiver.base}/ignored`), { queue }, { functions: registry([chatty(runMs, undefined, report)]), log });
      expect(done).toMatchObject({ claimed: 5, succeeded: 5 });
      return counter.requests() - before;
    };
    // Silent first: it also loads the scripts (the first EVALSHA of each falls back to EVAL).
    await requestsOf(false);
    const silent = await requestsOf(false);
    const extra = (await requestsOf(true)) - silent;
    // Five tasks reported thousands of times in 2.5 s: one write per started second (3 at most, the
    // first at once), and one removal as the batch settles. Without coalescing: thousands.
    expect(extra).toBeGreaterThanOrEqual(2);
    expect(extra).toBeLessThanOrEqual(4);
    // With leases renewed every half second (the renewals show as requests of their own), progress
    // leaves with each renewal, in its request: only the first write and the removal add any.
    const silentRenewing = await requestsOf(false, 1_500);
    expect(silentRenewing - silent).toBeGreaterThanOrEqual(2);
    expect((await requestsOf(true, 1_500)) - silentRenewing).toBeLessThanOrEqual(3);
  });

  it("shows the latest value while the task runs, and removes it when the batch settles", async () => {
    const queue = queueName("latest");
    const [enqueued] = await tasks.enqueue(queue, [{ fn: "chatty", input: { n: 0 } }]);
    const id = enqueued!.id;
    const seen: { calls: number; stored: unknown }[] = [];
    const fn = chatty(1_800, async (taskId, calls) => void seen.push({ calls, stored: await progress.read(queue, taskId) }));
    await handlePush(testEnv(`${receiver.base}/ignored`), { queue }, { functions: registry([fn]), log });
    // The first report is written at once; the 19 after it, within the same second, are held back.
    expect(seen[0]).toMatchObject({ calls: 20, stored: { value: { n: 0, done: 1 }, at: expect.any(Number) } });
    // A second later the latest value then was written.
    const later = seen[1] as { calls: number; stored: { value: { done: number } } };
    expect(later.stored.value.done).toBeGreaterThan(20);
    expect(later.stored.value.done).toBeLessThanOrEqual(later.calls);
    expect(await progress.read(queue, id)).toBeNull();
    expect((await tasks.get(id))?.status).toBe("succeeded");
  });

  it("refuses a value over 4 KiB or not JSON at the call, which fails that attempt", async () => {
    const queue = queueName("big");
    const big = defineFunction({
      name: "big",
      input: z.object({ kind: z.enum(["big", "bigint"]) }),
      run: ({ kind }, ctx) => ctx.progress(kind === "big" ? "x".repeat(MAX_PROGRESS_BYTES) : 1n),
    });
    const [a, b] = await tasks.enqueue(queue, [{ fn: "big", input: { kind: "big" }, maxAttempts: 1 }, { fn: "big", input: { kind: "bigint" }, maxAttempts: 1 }]);
    await handlePush(testEnv(`${receiver.base}/ignored`), { queue }, { functions: registry([big]), log });
    expect((await tasks.get(a!.id))?.error).toMatch(/progress is 4098 bytes of JSON; the limit is 4096/);
    expect((await tasks.get(b!.id))?.error).toMatch(/BigInt/);
  });
});
