/**
 * Task progress over HTTP inside workerd: GET /v1/tasks/{id} shows what a running task reported,
 * and /v1/tasks/{id}/events streams progress in order, then the final task.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readEvents } from "../../src/client/sse";
import { createProgressStore } from "../../src/queue/progress";
import { clientsFromEnv } from "../../src/runtime/index";
import { TEST_TOKENS } from "./fixtures";
import { call, directQueue, expectProblem, ORIGIN, queueName } from "./helpers";

const progress = () => createProgressStore(clientsFromEnv(env).redis, { prefix: clientsFromEnv(env).prefix });

async function runningTask(queue: string) {
  const enqueued = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "sleep", input: { ms: 1_000 } } });
  const [claimed] = await directQueue().claim(queue, 1, 30_000);
  if (!claimed || claimed.id !== enqueued.body.id) throw new Error("the task was not claimed");
  return claimed;
}

describe("task progress over HTTP", () => {
  it("GET shows progress and progressAt while the task runs, and not once it is over", async () => {
    const queue = queueName("progress");
    const task = await runningTask(queue);
    expect((await call("GET", `/v1/tasks/${task.id}`, { token: "read" })).body).not.toHaveProperty("progress");
    await progress().write(queue, [{ id: task.id, value: { done: 250, total: 1_000 }, at: 1_700_000_000_000 }]);
    const read = await call("GET", `/v1/tasks/${task.id}`, { token: "read" });
    expect(read.body).toMatchObject({ status: "running", progress: { done: 250, total: 1_000 }, progressAt: 1_700_000_000_000 });
    await directQueue().complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: { slept: 1_000 } }]);
    const over = await call("GET", `/v1/tasks/${task.id}`, { token: "read" });
    expect(over.body).toMatchObject({ status: "succeeded", result: { slept: 1_000 } });
    expect(over.body).not.toHaveProperty("progress");
  });

  it("streams progress events in order, then the final task as `result`", async () => {
    const queue = queueName("events");
    const task = await runningTask(queue);
    const response = await exports.default.fetch(new Request(`${ORIGIN}/v1/tasks/${task.id}/events`, { headers: { authorization: `Bearer ${TEST_TOKENS.read}` } }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    // In lockstep: each change is made once the stream has shown the one before, so no state can be
    // skipped by a slow read, and each must come out as its own event, in order.
    const stream = readEvents(response.body!);
    const next = async () => {
      const { value } = await stream.next();
      return { ...value!, data: JSON.parse(value!.data) as { status: string; progress?: { done: number }; result?: unknown } };
    };
    const events = [await next()];
    for (const done of [300, 700]) {
      await progress().write(queue, [{ id: task.id, value: { done, total: 1_000 }, at: Date.now() }]);
      events.push(await next());
    }
    await directQueue().complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: { slept: 1_000 } }]);
    events.push(await next());
    expect((await stream.next()).done).toBe(true);
    expect(events.map((event) => event.event)).toEqual(["progress", "progress", "progress", "result"]);
    expect(events.map((event) => event.data.progress?.done)).toEqual([undefined, 300, 700, undefined]);
    expect(events.at(-1)?.data).toMatchObject({ id: task.id, status: "succeeded", result: { slept: 1_000 } });
    expect(new Set(events.map((event) => event.id)).size).toBe(4);
  });

  it("a reconnect with Last-Event-ID does not repeat the state it saw; a finished task is its result at once", async () => {
    const queue = queueName("resume");
    const task = await runningTask(queue);
    await directQueue().complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: 1 }]);
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}/v1/tasks/${task.id}/events`, { headers: { authorization: `Bearer ${TEST_TOKENS.read}`, "last-event-id": "running.1.0" } }),
    );
    const events = [];
    for await (const event of readEvents(response.body!)) events.push(event);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: "result", id: "succeeded.1.0" });
  });

  it("needs the read scope, refuses bad ids and answers 404 for unknown tasks", async () => {
    expectProblem(await call("GET", "/v1/tasks/x/events", { token: null }), 401);
    expectProblem(await call("GET", "/v1/tasks/x/events", { token: "enqueue" }), 403);
    expectProblem(await call("GET", "/v1/tasks/bad%20id/events"), 400, "id");
    expectProblem(await call("GET", "/v1/tasks/NO-SUCH-TASK/events"), 404);
  });
});
