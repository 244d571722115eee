import { describe, expect, it } from "vitest";
import { useStack } from "./stack-fixture";

// The local stack as `npm run dev` starts it: the Worker reaches Redis through
// the REST server, and QStash's pushes reach the Worker (no cron: only a push can run the task).
describe("local stack as npm run dev starts it", () => {
  const fixture = useStack({ cronEverySeconds: 0 });

  it("answers /health with Redis reachable", async () => {
    const response = await fetch(`${fixture.stack.info.workerUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
  });

  it("runs an enqueued task through a QStash push, with no cron trigger", async () => {
    const { client } = fixture;
    const { id } = await client.enqueue(`smoke-${Date.now()}`, { fn: "echo", input: { hello: "edge" } });
    let task = await client.getTask(id, 10);
    for (let i = 0; i < 5 && task.status !== "succeeded"; i++) task = await client.getTask(id, 10);
    expect(task.status).toBe("succeeded");
    expect(task.result).toEqual({ hello: "edge" });
  });
});
