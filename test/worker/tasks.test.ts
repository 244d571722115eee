import { describe, expect, it } from "vitest";
import { call, expectProblem, queueName } from "./helpers";
import { TEST_TOKENS } from "./fixtures";
import { callWith } from "./security-helpers";
import { taskIdOf } from "../../src/queue/ids";

const queue = queueName("tasks");
// Delayed tasks stay put: no worker claims them while these tests look at them.
const later = { delay: "1h" };

interface Enqueued {
  id: string;
  status: string;
  duplicate: boolean;
}

describe("POST /v1/queues/{queue}/tasks", () => {
  it("enqueues one task and reads it back", async () => {
    const enqueued = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, {
      json: { fn: "count-primes", input: { from: 0, to: 100 }, priority: 7, ...later },
    });
    expect(enqueued.status).toBe(202);
    expect(enqueued.body).toMatchObject({ status: "delayed", duplicate: false });
    const task = await call("GET", `/v1/tasks/${enqueued.body.id}`, { token: "read" });
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({
      id: enqueued.body.id,
      queue,
      fn: "count-primes",
      status: "delayed",
      input: { from: 0, to: 100 },
      priority: 7,
      attempts: 0,
    });
    expect(task.body.createdAt).toEqual(expect.any(Number));
  });

  it("takes delay and timeout as seconds or duration strings", async () => {
    const before = Date.now();
    const text = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", delay: "2h", timeout: "90s" } });
    const seconds = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", delay: 600, timeout: 1.5 } });
    const a = (await call("GET", `/v1/tasks/${text.body.id}`)).body;
    const b = (await call("GET", `/v1/tasks/${seconds.body.id}`)).body;
    expect(a.timeoutMs).toBe(90_000);
    expect(b.timeoutMs).toBe(1_500);
    expect(Number(a.runAt)).toBeGreaterThanOrEqual(before + 2 * 3_600_000);
    expect(Number(b.runAt)).toBeGreaterThanOrEqual(before + 600_000);
    expect(Number(b.runAt)).toBeLessThan(before + 2 * 3_600_000);
  });

  it("takes the function's own limits when the task sets none", async () => {
    const enqueued = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, {
      json: { fn: "count-primes", input: { from: 0, to: 10 }, ...later },
    });
    const task = (await call("GET", `/v1/tasks/${enqueued.body.id}`)).body;
    expect(task.timeoutMs).toBe(60_000);
  });

  it("enqueues a batch and returns the ids in order", async () => {
    const tasks = Array.from({ length: 25 }, (_, i) => ({ fn: "echo", input: { i }, ...later }));
    const enqueued = await call<{ ids: string[]; duplicates: number }>("POST", `/v1/queues/${queue}/tasks`, { json: { tasks } });
    expect(enqueued.status).toBe(202);
    expect(enqueued.body.ids).toHaveLength(25);
    expect(enqueued.body.duplicates).toBe(0);
    const last = await call("GET", `/v1/tasks/${enqueued.body.ids[24]}`);
    expect(last.body.input).toEqual({ i: 24 });
  });

  it("creates nothing for a repeated caller id or dedup key", async () => {
    const given = `given-${crypto.randomUUID()}`;
    // the task's id names its queue; the caller may send either form
    const id = taskIdOf(queue, given);
    const first = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", id: given, input: 1, ...later } });
    const again = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", id, input: 2, ...later } });
    expect(first.body).toMatchObject({ id, duplicate: false });
    expect(again.body).toMatchObject({ id, duplicate: true });
    expect((await call("GET", `/v1/tasks/${id}`)).body.input).toBe(1);

    const dedupKey = `order-${crypto.randomUUID()}`;
    const one = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", dedupKey, ...later } });
    const two = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", dedupKey, ...later } });
    expect(two.body).toMatchObject({ id: one.body.id, duplicate: true });
  });
});

describe("concurrent single-task enqueues (coalesced into shared script calls)", () => {
  it("answers each request with its own task, and a request with a bad task alone with its field (no R2)", async () => {
    const own = queueName("coalesce");
    const given = `given-${crypto.randomUUID()}`;
    const id = taskIdOf(own, given);
    const bodies = [
      ...Array.from({ length: 8 }, (_, n) => ({ fn: "echo", input: n, ...later })),
      { fn: "echo", input: "x".repeat(70_000), ...later },
      { fn: "echo", id: given, input: "first", ...later },
      { fn: "echo", id: given, input: "second", ...later },
    ];
    // Without R2, where 64 KiB is the input limit (with it, a large input goes to R2 and is accepted).
    const withoutR2 = { BLOBS: undefined };
    const answers = await Promise.all(bodies.map((json) => callWith<Enqueued>(withoutR2, "POST", `/v1/queues/${own}/tasks`, { token: TEST_TOKENS.admin, json })));
    expectProblem(answers[8]!, 413, "input");
    const stored = answers.filter((_, n) => n !== 8);
    expect(stored.map((answer) => answer.status)).toEqual(Array(10).fill(202));
    expect(answers[9]!.body).toMatchObject({ id, duplicate: false });
    expect(answers[10]!.body).toMatchObject({ id, duplicate: true });
    const inputs = await Promise.all(answers.slice(0, 8).map(async (answer) => (await call("GET", `/v1/tasks/${answer.body.id}`)).body.input));
    expect(inputs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await call("GET", `/v1/tasks/${id}`)).body.input).toBe("first");
    expect((await call<{ counts: { delayed: number } }>("GET", `/v1/queues/${own}`)).body.counts.delayed).toBe(9);
  });
});

describe("GET and DELETE /v1/tasks/{id}", () => {
  it("answers 404 for an unknown task", async () => {
    expectProblem(await call("GET", "/v1/tasks/no-such-task"), 404);
    expectProblem(await call("DELETE", "/v1/tasks/no-such-task"), 404);
  });

  it("cancels a delayed task once, then refuses with 409", async () => {
    const enqueued = await call<Enqueued>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", ...later } });
    const canceled = await call("DELETE", `/v1/tasks/${enqueued.body.id}`, { token: "enqueue" });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toEqual({ id: enqueued.body.id, status: "canceled" });
    expect((await call("GET", `/v1/tasks/${enqueued.body.id}`)).body.status).toBe("canceled");
    const again = expectProblem(await call("DELETE", `/v1/tasks/${enqueued.body.id}`), 409);
    expect(again.detail).toContain("canceled");
  });
});
