import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, queueName, signDelivery, WORK_URL } from "./helpers";

const queue = queueName("work");

async function deliver(body: string, signature: string | null): Promise<Response> {
  const headers = new Headers({ "content-type": "application/json" });
  if (signature !== null) headers.set("upstash-signature", signature);
  return exports.default.fetch(new Request(WORK_URL, { method: "POST", headers, body }));
}

async function expectRefused(response: Response, reason: RegExp): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as { type: string; detail: string };
  expect(problem.type).toBe("urn:edgeq:problem:invalid-signature");
  expect(problem.detail).toMatch(reason);
}

describe("POST /v1/work signature checks", () => {
  const body = JSON.stringify({ queue });

  it("refuses a delivery without Upstash-Signature", async () => {
    await expectRefused(await deliver(body, null), /missing/);
  });

  it("refuses a signature made with a key that is neither current nor next", async () => {
    const signature = await signDelivery({ body, key: "sig_not-a-key-of-this-deployment" });
    await expectRefused(await deliver(body, signature), /neither the current nor the next/);
  });

  it("refuses a tampered body", async () => {
    const signature = await signDelivery({ body });
    await expectRefused(await deliver(JSON.stringify({ queue: `${queue}-other` }), signature), /body hash/);
  });

  it("refuses a signature for another URL", async () => {
    const signature = await signDelivery({ body, url: "https://elsewhere.example/v1/work" });
    await expectRefused(await deliver(body, signature), /subject/);
  });

  it("refuses an expired signature", async () => {
    const issuedAt = Math.floor(Date.now() / 1_000) - 3_600;
    const signature = await signDelivery({ body, issuedAt, lifetime: 300 });
    await expectRefused(await deliver(body, signature), /expired/);
  });

  it("refuses a signature that is not valid yet", async () => {
    const now = Math.floor(Date.now() / 1_000);
    const signature = await signDelivery({ body, notBefore: now + 3_600 });
    await expectRefused(await deliver(body, signature), /not valid before/);
  });

  it("refuses a well-signed body that is not a push message", async () => {
    const bad = JSON.stringify({ queue: "NOT A QUEUE" });
    const response = await deliver(bad, await signDelivery({ body: bad }));
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((error) => error.field)).toContain("queue");
  });
});

describe("POST /v1/work runs a batch", () => {
  it("accepts the current key and runs the queue's tasks", async () => {
    const tasks = [{ fn: "echo", input: { n: 1 } }, { fn: "echo", input: { n: 2 } }];
    const enqueued = await call<{ ids: string[] }>("POST", `/v1/queues/${queue}/tasks`, { json: { tasks } });
    const response = await deliver(body(), await signDelivery({ body: body() }));
    expect(response.status).toBe(200);
    const report = (await response.json()) as { queue: string; claimed: number; succeeded: number };
    expect(report).toMatchObject({ queue, claimed: 2, succeeded: 2 });
    for (const [i, id] of enqueued.body.ids.entries()) {
      const task = await call("GET", `/v1/tasks/${id}`, { token: "read" });
      expect(task.body).toMatchObject({ status: "succeeded", result: { n: i + 1 } });
    }
  });

  it("accepts the next key too, so that keys can be rotated", async () => {
    const response = await deliver(body(), await signDelivery({ body: body(), key: env.QSTASH_NEXT_SIGNING_KEY }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { claimed: number }).claimed).toBe(0);
  });

  it("runs nothing for a replayed delivery: the start script's mark refuses it before any claim", async () => {
    const signature = await signDelivery({ body: body() });
    expect((await deliver(body(), signature)).status).toBe(200);
    const late = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", input: "late" } });
    await expectRefused(await deliver(body(), signature), /used already/);
    expect((await call("GET", `/v1/tasks/${late.body.id}`, { token: "read" })).body).toMatchObject({ status: "queued", attempts: 0 });
  });

  function body(): string {
    return JSON.stringify({ queue });
  }
});

describe("POST /v1/work and bearer tokens", () => {
  it("does not confuse a bearer token with a signature", async () => {
    expectProblem(await call("POST", "/v1/work", { json: { queue } }), 401);
  });
});
