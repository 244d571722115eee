/**
 * A Worker process killed (SIGKILL) while single-task enqueues from 20 clients are being coalesced
 * loses nothing it acknowledged: every id answered with a 202 is stored.
 */
import { describe, expect, it } from "vitest";
import { createTaskQueue } from "../../src/queue/index";
import { Redis } from "@upstash/redis";
import { useStack } from "./stack-fixture";

const fixture = useStack({ cronEverySeconds: 0 });

describe("coalesced enqueues and a killed Worker", () => {
  it("stores every task whose enqueue was acknowledged", async () => {
    const queue = `crash-${Date.now().toString(36)}`;
    const acknowledged: string[] = [];
    let failed = 0;
    let stop = false;
    const client = async (c: number) => {
      for (let n = 0; !stop; n++) {
        try {
          const response = await fetch(`${fixture.stack.info.workerUrl}/v1/queues/${queue}/tasks`, {
            method: "POST",
            headers: { authorization: `Bearer ${fixture.stack.info.apiToken}`, "content-type": "application/json" },
            body: JSON.stringify({ fn: "echo", input: { c, n } }),
          });
          if (response.status === 202) acknowledged.push(((await response.json()) as { id: string }).id);
          else failed++;
        } catch {
          failed++;
        }
      }
    };
    const clients = Array.from({ length: 20 }, (_, c) => client(c));
    while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 20));
    await fixture.stack.restartWorker(0);
    const afterRestart = acknowledged.length;
    while (acknowledged.length < afterRestart + 100) await new Promise((resolve) => setTimeout(resolve, 20));
    stop = true;
    await Promise.all(clients);

    // The kill cut requests in flight: some were refused or cut, none acknowledged and then lost.
    expect(failed).toBeGreaterThan(0);
    const core = createTaskQueue(new Redis({ url: fixture.stack.info.redisRestUrl, token: fixture.stack.info.redisRestToken, enableTelemetry: false }), {});
    const records = await core.getMany(acknowledged);
    expect(records.filter((record) => record === null)).toEqual([]);
    expect(new Set(acknowledged).size).toBe(acknowledged.length);
  }, 120_000);
});
