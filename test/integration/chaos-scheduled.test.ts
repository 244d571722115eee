/**
 * The cron is the safety net under the pushes: a Redis error on one queue (here a broken key, as a
 * failing request would be for a moment) must not leave every other queue without upkeep and drain.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functions } from "../../functions/index";
import { createTaskQueue } from "../../src/queue/index";
import { createLogger } from "../../src/runtime/logger";
import { handleScheduled } from "../../src/runtime/scheduled";
import { startReceiver, type Receiver } from "../support/qstash-receiver";
import { queueName } from "../support/names";
import { testKeyspace, testRedis } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";

const keys = testKeyspace("chaos-cron");
afterAll(keys.cleanup);

const tasks = createTaskQueue(testRedis(), { prefix: keys.prefix });
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

describe("scheduled handler when one queue fails", () => {
  it("still upkeeps and drains the other queues, and logs the failure", async () => {
    const broken = queueName("broken");
    const healthy = queueName("healthy");
    await tasks.enqueue(broken, [{ fn: "echo", input: 1 }]);
    await tasks.enqueue(healthy, Array.from({ length: 5 }, (_, n) => ({ fn: "echo", input: n })));
    // Every script of the broken queue touches its sweep set; a string there fails them all.
    await testRedis().set(`${keys.prefix}:q:{${broken}}:sweep`, "not a sorted set");

    const warnings: string[] = [];
    const log = createLogger("warn", {}, (line) => warnings.push(line));
    const reports = await handleScheduled(testEnv(`${receiver.base}/${healthy}`, keys.prefix), {
      queues: [broken, healthy], functions, log, budget: { softMs: 0, hardMs: 30_000 },
    });

    expect(reports.map((report) => report.queue)).toEqual([healthy]);
    expect((await tasks.getQueue(healthy)).counts).toMatchObject({ queued: 0, succeeded: 5 });
    expect(warnings.some((line) => line.includes("upkeep failed") && line.includes(broken))).toBe(true);
    expect(warnings.some((line) => line.includes("drain failed") && line.includes(broken))).toBe(true);
    await testRedis().del(`${keys.prefix}:q:{${broken}}:sweep`);
  });
});
