import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call, directQueue, queueName } from "./helpers";

const queue = queueName("cron");

describe("scheduled handler", () => {
  it("drains queued tasks and reclaims expired leases", async () => {
    const tasks = Array.from({ length: 5 }, (_, i) => ({ fn: "echo", input: { i } }));
    const { body } = await call<{ ids: string[] }>("POST", `/v1/queues/${queue}/tasks`, { json: { tasks } });
    // One task claimed with a lease that has already run out, as if its worker died.
    const [abandoned] = await directQueue().claim(queue, 1, 1);
    expect(abandoned).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 20));

    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);

    for (const id of body.ids) {
      const task = await call("GET", `/v1/tasks/${id}`, { token: "read" });
      expect(task.body.status).toBe("succeeded");
    }
    const reclaimed = await call("GET", `/v1/tasks/${abandoned!.id}`, { token: "read" });
    expect(reclaimed.body.attempts).toBe(2);
  });
});
