/** Completion callbacks at the HTTP door inside workerd: a host outside the allow-list is a 400 naming the field, and changes nothing. */
import { describe, expect, it } from "vitest";
import { call, directQueue, expectProblem, queueName } from "./helpers";

describe("callbacks at enqueue", () => {
  it("refuse a host outside the allow-list (loopback only when EDGEQ_CALLBACK_HOSTS is unset), naming the field", async () => {
    const queue = queueName("cb");
    const one = { fn: "echo", input: 1, id: `cb-${crypto.randomUUID()}`, callback: { url: "https://evil.example.net/hook" } };
    const refused = expectProblem(await call("POST", `/v1/queues/${queue}/tasks`, { json: one }), 400, "callback.url");
    expect(refused.detail).toMatch(/evil\.example\.net is not allowed/);
    expect(await directQueue().get(one.id)).toBeNull();
    const many = { tasks: [{ fn: "echo", input: 1 }, { fn: "echo", input: 2, callback: { url: "not a url" } }] };
    expectProblem(await call("POST", `/v1/queues/${queue}/tasks`, { json: many }), 400, "tasks[1].callback.url");
    const badHeader = { fn: "echo", input: 1, callback: { url: "http://127.0.0.1:9/hook", headers: { "Upstash-Forward-X": "1" } } };
    expectProblem(await call("POST", `/v1/queues/${queue}/tasks`, { json: badHeader }), 400, "callback.headers.Upstash-Forward-X");
    const allowed = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", input: 1, callback: { url: "http://127.0.0.1:9/hook" } } });
    expect(allowed.status).toBe(202);
  });
});

describe("a queue's callback", () => {
  it("is set, read and removed; a host outside the allow-list is refused naming `url`", async () => {
    const queue = queueName("qcb");
    expect((await call("GET", `/v1/queues/${queue}/callback`, { token: "read" })).body).toEqual({ queue, callback: null });
    expectProblem(await call("PUT", `/v1/queues/${queue}/callback`, { json: { url: "https://evil.example.net/x" } }), 400, "url");
    expectProblem(await call("PUT", `/v1/queues/${queue}/callback`, { token: "enqueue", json: { url: "http://127.0.0.1:9/x" } }), 403);
    const set = await call("PUT", `/v1/queues/${queue}/callback`, { json: { url: "http://127.0.0.1:9/x", headers: { "x-hook": "1" } } });
    expect(set.body).toEqual({ queue, callback: { url: "http://127.0.0.1:9/x", headers: { "x-hook": "1" } } });
    expect((await call("GET", `/v1/queues/${queue}/callback`, { token: "read" })).body).toMatchObject({ callback: { url: "http://127.0.0.1:9/x" } });
    expect((await call("DELETE", `/v1/queues/${queue}/callback`)).body).toEqual({ queue, callback: null });
    expect((await call("GET", `/v1/queues/${queue}/callback`, { token: "read" })).body).toEqual({ queue, callback: null });
  });
});
