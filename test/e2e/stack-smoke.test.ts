import { describe, expect, it } from "vitest";
import { useStack } from "./stack-fixture";

// The local stack as `npm run dev` starts it: the Worker reaches Redis through the REST server,
// and QStash's pushes reach the Worker (no cron: only a push, or a single enqueue's inline start,
// can run a task).
describe("local stack as npm run dev starts it", () => {
  const fixture = useStack({ cronEverySeconds: 0 });

  it("answers /health with Redis reachable", async () => {
    const response = await fetch(`${fixture.stack.info.workerUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
  });

  it("runs an enqueued task with no cron trigger (the inline start)", async () => {
    const { client } = fixture;
    const { id } = await client.enqueue(`smoke-${Date.now()}`, { fn: "echo", input: { hello: "edge" } });
    let task = await client.getTask(id, 10);
    for (let i = 0; i < 5 && task.status !== "succeeded"; i++) task = await client.getTask(id, 10);
    expect(task.status).toBe("succeeded");
    expect(task.result).toEqual({ hello: "edge" });
  });

  it("runs a batch of tasks through a QStash push, with no cron trigger", async () => {
    const { client, stack } = fixture;
    const before = stack.qstash.stats().attempts;
    const { ids } = await client.enqueueMany(`smoke-${Date.now()}`, [{ fn: "echo", input: { hello: "push" } }]);
    let task = await client.getTask(ids[0]!, 10);
    for (let i = 0; i < 5 && task.status !== "succeeded"; i++) task = await client.getTask(ids[0]!, 10);
    expect(task).toMatchObject({ status: "succeeded", result: { hello: "push" } });
    expect(stack.qstash.stats().attempts).toBeGreaterThan(before);
  });
});
