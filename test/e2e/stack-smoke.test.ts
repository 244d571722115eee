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

  it("serves the Worker on its own socket; the entry worker's port runs the scheduled handler", async () => {
    const { stack, client } = fixture;
    const worker = stack.workers[0]!;
    // the Worker's URL is the app itself: Miniflare's trigger path there is an unknown route
    const direct = await fetch(`${worker.url}/cdn-cgi/handler/scheduled`);
    expect(direct.status).toBe(404);
    expect(direct.headers.get("content-type")).toContain("application/problem+json");
    expect(new URL(worker.scheduledUrl).port).not.toBe(new URL(worker.url).port);
    // Miniflare's entry worker answers its trigger path with the scheduled invocation's outcome
    const trigger = await fetch(`${worker.scheduledUrl}?cron=${encodeURIComponent("* * * * *")}`);
    expect(trigger.status).toBe(200);
    expect(await trigger.text()).toBe("ok");
    // and the Worker's own socket serves the API as before
    const { id } = await client.enqueue(`smoke-direct-${Date.now()}`, { fn: "echo", input: { direct: true } });
    expect(id).toMatch(/\S/);
    expect((await fetch(`${worker.url}/health`)).status).toBe(200);
  }, 60_000);
});
