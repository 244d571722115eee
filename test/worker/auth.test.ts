import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_TOKENS } from "./fixtures";
import { call, expectProblem, queueName } from "./helpers";
import { app } from "./security-helpers";

const queue = queueName("auth");
const task = { fn: "echo", input: { hello: "auth" }, delay: "1h" };

describe("bearer tokens and scopes", () => {
  it("refuses a request without Authorization, with a Bearer challenge", async () => {
    const answer = await call("GET", "/v1/queues", { token: null });
    const problem = expectProblem(answer, 401);
    expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(problem.type).toBe("urn:edgeq:problem:unauthorized");
  });

  it("refuses a token that is not configured, and a non-Bearer scheme", async () => {
    expectProblem(await call("GET", "/v1/queues", { token: { raw: "test-admin-7c1d9e0f4a2b8c3X" } }), 401);
    const basic = await call("GET", "/v1/queues", { token: null, headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expectProblem(basic, 401);
  });

  it("lets an enqueue token enqueue and cancel but not read", async () => {
    const enqueued = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { token: "enqueue", json: task });
    expect(enqueued.status).toBe(202);
    const read = await call("GET", `/v1/tasks/${enqueued.body.id}`, { token: "enqueue" });
    expect(expectProblem(read, 403).detail).toContain('"read"');
    expect((await call("DELETE", `/v1/tasks/${enqueued.body.id}`, { token: "enqueue" })).status).toBe(200);
  });

  it("lets a read token read but not enqueue or change settings", async () => {
    expect((await call("GET", "/v1/queues", { token: "read" })).status).toBe(200);
    expect((await call("GET", "/v1/functions", { token: "read" })).status).toBe(200);
    expectProblem(await call("POST", `/v1/queues/${queue}/tasks`, { token: "read", json: task }), 403);
    expectProblem(await call("PATCH", `/v1/queues/${queue}`, { token: "read", json: { batchSize: 5 } }), 403);
    expectProblem(await call("POST", `/v1/queues/${queue}/pause`, { token: "read" }), 403);
    expectProblem(await call("POST", `/v1/queues/${queue}/dead/retry`, { token: "read" }), 403);
    expectProblem(await call("DELETE", `/v1/queues/${queue}/dead`, { token: "read" }), 403);
  });

  it("gives a token with enqueue+read both, and none of admin", async () => {
    const enqueued = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { token: "enqueueRead", json: task });
    expect(enqueued.status).toBe(202);
    expect((await call("GET", `/v1/tasks/${enqueued.body.id}`, { token: "enqueueRead" })).status).toBe(200);
    expectProblem(await call("POST", `/v1/queues/${queue}/resume`, { token: "enqueueRead" }), 403);
  });

  it("lets admin do everything", async () => {
    const enqueued = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { token: "admin", json: task });
    expect(enqueued.status).toBe(202);
    expect((await call("GET", `/v1/tasks/${enqueued.body.id}`, { token: "admin" })).status).toBe(200);
    expect((await call("POST", `/v1/queues/${queue}/pause`, { token: "admin" })).status).toBe(200);
    expect((await call("POST", `/v1/queues/${queue}/resume`, { token: "admin" })).status).toBe(200);
  });

  it("leaves /health open and guards /openapi.json", async () => {
    expect((await call("GET", "/health", { token: null })).status).toBe(200);
    expectProblem(await call("GET", "/openapi.json", { token: null }), 401);
    expect((await call("GET", "/openapi.json", { token: "enqueue" })).status).toBe(200);
  });

  it("does not take /v1/work on a bearer token: only a QStash signature opens it", async () => {
    const answer = await call("POST", "/v1/work", { token: "admin", json: { queue } });
    expect(expectProblem(answer, 401).type).toBe("urn:edgeq:problem:invalid-signature");
  });
});

describe("misconfigured secrets fail loudly, never open", () => {
  const admin = { authorization: `Bearer ${TEST_TOKENS.admin}` };

  it("answers 500 naming the bad EDGEQ_TOKENS entry", async () => {
    const response = await app.request("/v1/queues", { headers: admin }, { ...env, EDGEQ_TOKENS: `${TEST_TOKENS.admin}:root` });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { detail: string }).detail).toContain('unknown scope "root"');
  });

  it("answers 500 when the signing keys are missing, whatever the signature", async () => {
    const response = await app.request(
      "/v1/work",
      { method: "POST", headers: { "upstash-signature": "x.y.z", "content-type": "application/json" }, body: "{}" },
      { ...env, QSTASH_NEXT_SIGNING_KEY: "" },
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as { type: string }).type).toBe("urn:edgeq:problem:misconfigured");
  });
});
