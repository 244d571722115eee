import { describe, expect, it } from "vitest";
import { call, directQueue, expectProblem, queueName } from "./helpers";

const queue = queueName("poll");

async function enqueueEcho(input: unknown): Promise<string> {
  const { body } = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", input } });
  return body.id;
}

describe("GET /v1/tasks/{id}?wait=SECONDS", () => {
  it("returns the finished task as soon as a worker completes it", async () => {
    const id = await enqueueEcho({ v: 1 });
    const waiting = call("GET", `/v1/tasks/${id}?wait=20`, { token: "read" });
    const core = directQueue();
    const [claimed] = await core.claim(queue, 1);
    expect(claimed?.id).toBe(id);
    await core.complete(queue, [{ id, leaseToken: claimed!.leaseToken, result: { done: true } }]);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, status: "succeeded", result: { done: true } });
  });

  it("stops at the bound and returns the task as it is", async () => {
    await call("POST", `/v1/queues/${queue}/pause`);
    const id = await enqueueEcho({ v: 2 });
    const answer = await call("GET", `/v1/tasks/${id}?wait=1`, { token: "read" });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, status: "queued" });
    await call("POST", `/v1/queues/${queue}/resume`);
  });

  it("answers at once for a task that is already final", async () => {
    const id = await enqueueEcho({ v: 3 });
    await call("DELETE", `/v1/tasks/${id}`);
    const answer = await call("GET", `/v1/tasks/${id}?wait=30`, { token: "read" });
    expect(answer.body.status).toBe("canceled");
  });

  it("answers 404 for an unknown task without waiting", async () => {
    expectProblem(await call("GET", "/v1/tasks/never-enqueued?wait=30", { token: "read" }), 404);
  });
});
