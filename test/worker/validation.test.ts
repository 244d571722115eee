import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/http/app";
import { TEST_TOKENS } from "./fixtures";
import { call, directQueue, expectProblem, ORIGIN, queueName } from "./helpers";

const queue = queueName("valid");
const tasksPath = `/v1/queues/${queue}/tasks`;

describe("request validation names the failing field", () => {
  const cases: [string, unknown, string][] = [
    ["missing fn", { input: 1 }, "fn"],
    ["fn not a string", { fn: 42 }, "fn"],
    ["unknown function", { fn: "no-such-function" }, "fn"],
    ["input failing the function's schema", { fn: "count-primes", input: { from: "zero", to: 10 } }, "input.from"],
    ["input failing the function's refinement", { fn: "count-primes", input: { from: 10, to: 5 } }, "input.to"],
    ["unreadable delay", { fn: "echo", delay: "ten minutes" }, "delay"],
    ["negative delay", { fn: "echo", delay: -5 }, "delay"],
    ["timeout over the limit", { fn: "echo", timeout: "2h" }, "timeout"],
    ["both delay and runAt", { fn: "echo", delay: "1m", runAt: Date.now() + 60_000 }, "runAt"],
    ["priority out of range", { fn: "echo", priority: 5000 }, "priority"],
    ["fractional maxAttempts", { fn: "echo", maxAttempts: 2.5 }, "maxAttempts"],
    ["bad caller id", { fn: "echo", id: "has spaces" }, "id"],
    ["unknown field", { fn: "echo", fnn: "typo" }, "fnn"],
    ["bad task inside a batch", { tasks: [{ fn: "echo" }, { fn: "echo", delay: "soon" }] }, "tasks[1].delay"],
    ["unknown function inside a batch", { tasks: [{ fn: "echo" }, { fn: "nope" }] }, "tasks[1].fn"],
    ["empty batch", { tasks: [] }, "tasks"],
  ];

  it.each(cases)("refuses %s", async (_name, body, field) => {
    const answer = await call("POST", tasksPath, { token: "enqueue", json: body });
    const problem = expectProblem(answer, 400, field);
    expect(problem.type).toBe("urn:edgeq:problem:validation");
  });

  it("changes nothing when one task of a batch is bad", async () => {
    const ids = [`ok-${crypto.randomUUID()}`, `bad-${crypto.randomUUID()}`];
    const answer = await call("POST", tasksPath, {
      json: { tasks: [{ fn: "echo", id: ids[0] }, { fn: "count-primes", id: ids[1], input: {} }] },
    });
    expectProblem(answer, 400, "tasks[1].input.from");
    for (const id of ids) expectProblem(await call("GET", `/v1/tasks/${id}`), 404);
  });

  it("refuses an input over the queue's size limit with 413, naming the field", async () => {
    const input = "x".repeat(70 * 1024);
    const one = expectProblem(await call("POST", tasksPath, { json: { fn: "echo", input } }), 413, "input");
    expect(one.type).toBe("urn:edgeq:problem:input-too-large");
    expectProblem(await call("POST", tasksPath, { json: { tasks: [{ fn: "echo" }, { fn: "echo", input }] } }), 413, "tasks[1].input");
  });

  it("checks path parameters and the query string", async () => {
    expectProblem(await call("POST", "/v1/queues/Not_Valid!/tasks", { json: { fn: "echo" } }), 400, "queue");
    expectProblem(await call("GET", `/v1/queues/${"x".repeat(65)}`), 400, "queue");
    expectProblem(await call("GET", `/v1/tasks/${encodeURIComponent("a b")}`), 400, "id");
    expectProblem(await call("GET", "/v1/tasks/abc?wait=100"), 400, "wait");
    expectProblem(await call("GET", "/v1/tasks/abc?wait=soon"), 400, "wait");
    expectProblem(await call("GET", "/v1/tasks/abc?wiat=10"), 400, "wiat");
    expectProblem(await call("GET", `/v1/queues/${queue}/dead?limit=0`), 400, "limit");
  });

  it("checks settings patches", async () => {
    expectProblem(await call("PATCH", `/v1/queues/${queue}`, { json: {} }), 400);
    expectProblem(await call("PATCH", `/v1/queues/${queue}`, { json: { batchSize: 0 } }), 400, "batchSize");
    expectProblem(await call("PATCH", `/v1/queues/${queue}`, { json: { speed: "fast" } }), 400, "speed");
    expectProblem(await call("PATCH", `/v1/queues/${queue}`, { json: { backoff: { type: "linear" } } }), 400, "backoff.type");
    expectProblem(await call("POST", `/v1/queues/${queue}/dead/retry`, { json: { ids: ["a b"] } }), 400, "ids[0]");
  });
});

describe("HTTP-level refusals are problem+json too", () => {
  it("answers malformed JSON with 400", async () => {
    const answer = await call("POST", tasksPath, { body: '{"fn": "echo",', headers: { "content-type": "application/json" } });
    expect(expectProblem(answer, 400).type).toBe("urn:edgeq:problem:malformed-json");
  });

  it("answers a body that is not JSON with 415", async () => {
    const answer = await call("POST", tasksPath, { body: "fn=echo", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expectProblem(answer, 415);
    const plain = await call("PATCH", `/v1/queues/${queue}`, { body: "batchSize=3", headers: { "content-type": "text/plain" } });
    expectProblem(plain, 415);
  });

  it("answers a body over the limit with 413 before reading it", async () => {
    const input = "x".repeat(MAX_BODY_BYTES);
    const answer = await call("POST", tasksPath, { json: { fn: "echo", input } });
    expect(expectProblem(answer, 413).type).toBe("urn:edgeq:problem:payload-too-large");
  });

  it("stops reading a body of unknown length once it passes the limit", async () => {
    // Twice the limit, streamed in 64 KiB chunks with no Content-Length: the Worker must answer 413
    // having pulled little more than the limit, never the whole body.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    const total = 2 * MAX_BODY_BYTES;
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const headers = { authorization: `Bearer ${TEST_TOKENS.admin}`, "content-type": "application/json" };
    const response = await exports.default.fetch(new Request(`${ORIGIN}${tasksPath}`, { method: "POST", headers, body }));
    expect(response.status).toBe(413);
    expect(pulled).toBeGreaterThan(MAX_BODY_BYTES);
    expect(pulled).toBeLessThan(total);
  });

  it("refuses more than 5,000 tasks in one request, naming the field, and stores none", async () => {
    const many = queueName("valid-cap");
    const tasks = Array.from({ length: 5_001 }, (_, i) => ({ fn: "echo", input: i, id: `cap-${many}-${i}` }));
    expectProblem(await call("POST", `/v1/queues/${many}/tasks`, { json: { tasks } }), 400, "tasks");
    expect(await directQueue().get(`cap-${many}-0`)).toBeNull();
    // 5,000 is allowed.
    expect((await call("POST", `/v1/queues/${many}/tasks`, { json: { tasks: tasks.slice(0, 5_000).map((t) => ({ ...t, delay: "1h" })) } })).status).toBe(202);
  });

  it("answers an unknown route with 404", async () => {
    expectProblem(await call("GET", "/v1/nothing-here"), 404);
    expectProblem(await call("GET", "/", { token: null }), 404);
  });

  it("answers a known path with the wrong method with 405 and Allow", async () => {
    const put = await call("PUT", "/v1/tasks/abc", { json: {} });
    expectProblem(put, 405);
    expect(put.headers.get("allow")).toBe("DELETE, GET, HEAD");
    const getWork = await call("GET", "/v1/work");
    expectProblem(getWork, 405);
    expect(getWork.headers.get("allow")).toBe("POST");
    const postQueue = await call("POST", `/v1/queues/${queue}`, { json: {} });
    expect(postQueue.headers.get("allow")).toBe("GET, HEAD, PATCH");
  });
});
