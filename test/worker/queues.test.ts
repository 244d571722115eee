import { describe, expect, it } from "vitest";
import { call, expectProblem, queueName } from "./helpers";

const queue = queueName("queues");

interface Queue {
  name: string;
  settings: Record<string, unknown> & { backoff: Record<string, unknown> };
  counts: Record<string, number>;
}

describe("queues", () => {
  it("lists a queue with its counts once it holds tasks", async () => {
    const tasks = [{ fn: "echo", delay: "1h" }, { fn: "echo", delay: "1h" }];
    expect((await call("POST", `/v1/queues/${queue}/tasks`, { json: { tasks } })).status).toBe(202);
    const list = await call<{ queues: Queue[] }>("GET", "/v1/queues", { token: "read" });
    expect(list.status).toBe(200);
    const mine = list.body.queues.find((entry) => entry.name === queue);
    expect(mine?.counts).toMatchObject({ delayed: 2, enqueued: 2 });
  });

  it("answers 404 for a queue that was never used", async () => {
    expectProblem(await call("GET", `/v1/queues/${queueName("never")}`, { token: "read" }), 404);
  });

  it("reads one queue with settings and counts", async () => {
    const answer = await call<Queue>("GET", `/v1/queues/${queue}`, { token: "read" });
    expect(answer.status).toBe(200);
    expect(answer.body.name).toBe(queue);
    expect(answer.body.settings).toMatchObject({ paused: false, maxAttempts: expect.any(Number), batchSize: expect.any(Number) });
    expect(answer.body.counts.delayed).toBe(2);
  });

  it("changes settings, merging a partial backoff with the one in force", async () => {
    const before = (await call<Queue>("GET", `/v1/queues/${queue}`)).body.settings;
    const answer = await call<Queue>("PATCH", `/v1/queues/${queue}`, {
      json: { batchSize: 17, maxAttempts: 4, backoff: { baseMs: 250 } },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.settings).toMatchObject({
      batchSize: 17,
      maxAttempts: 4,
      backoff: { ...before.backoff, baseMs: 250 },
    });
    const reread = await call<Queue>("GET", `/v1/queues/${queue}`);
    expect(reread.body.settings.batchSize).toBe(17);
  });

  it("configures a queue before its first task, a partial backoff merged with the defaults", async () => {
    const fresh = `${queue}-new`;
    const answer = await call<Queue>("PATCH", `/v1/queues/${fresh}`, { json: { batchSize: 5, backoff: { baseMs: 300, jitter: 0 } } });
    expect(answer.status).toBe(200);
    expect(answer.body.settings).toMatchObject({ batchSize: 5, backoff: { type: "exponential", baseMs: 300, jitter: 0 } });
    expect(answer.body.counts.enqueued).toBe(0);
  });

  it("pauses and resumes", async () => {
    const paused = await call<Queue>("POST", `/v1/queues/${queue}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.settings.paused).toBe(true);
    expect((await call<Queue>("GET", `/v1/queues/${queue}`)).body.settings.paused).toBe(true);
    const resumed = await call<Queue>("POST", `/v1/queues/${queue}/resume`);
    expect(resumed.body.settings.paused).toBe(false);
  });
});

describe("GET /v1/functions", () => {
  it("lists the registered functions with their input schemas", async () => {
    const answer = await call<{ functions: { name: string; inputSchema: Record<string, unknown> }[] }>("GET", "/v1/functions", {
      token: "read",
    });
    expect(answer.status).toBe(200);
    const names = answer.body.functions.map((fn) => fn.name);
    expect(names).toEqual(expect.arrayContaining(["echo", "flaky", "count-primes"]));
    const primes = answer.body.functions.find((fn) => fn.name === "count-primes");
    expect(primes?.inputSchema).toMatchObject({ type: "object", properties: { from: expect.any(Object), to: expect.any(Object) } });
  });
});
