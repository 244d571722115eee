import { beforeAll, describe, expect, it } from "vitest";
import { call, directQueue, queueName } from "./helpers";

const queue = queueName("dead");

/** Enqueues over HTTP, then claims and fails each task for good through the queue core. */
async function makeDead(queue: string, count: number): Promise<string[]> {
  const tasks = Array.from({ length: count }, (_, i) => ({ fn: "echo", input: { i } }));
  const { body } = await call<{ ids: string[] }>("POST", `/v1/queues/${queue}/tasks`, { json: { tasks } });
  const core = directQueue();
  const claimed = await core.claim(queue, count);
  expect(claimed.map((task) => task.id).sort()).toEqual([...body.ids].sort());
  await core.fail(
    queue,
    claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, error: `broken ${task.id}`, retryable: false })),
  );
  return body.ids;
}

describe("dead letters", () => {
  let ids: string[] = [];
  beforeAll(async () => {
    // No worker runs beside this file (pushes go to an address where nothing listens), so the
    // direct claim gets exactly the tasks just enqueued.
    ids = await makeDead(queue, 3);
  });

  it("lists dead tasks with their errors", async () => {
    const answer = await call<{ tasks: { id: string; status: string; error: string }[] }>("GET", `/v1/queues/${queue}/dead`, {
      token: "read",
    });
    expect(answer.status).toBe(200);
    expect(answer.body.tasks.map((task) => task.id).sort()).toEqual([...ids].sort());
    for (const task of answer.body.tasks) {
      expect(task.status).toBe("dead");
      expect(task.error).toBe(`broken ${task.id}`);
    }
    const page = await call<{ tasks: unknown[] }>("GET", `/v1/queues/${queue}/dead?limit=2`);
    expect(page.body.tasks).toHaveLength(2);
  });

  it("retries chosen dead tasks", async () => {
    const [first] = ids;
    const answer = await call("POST", `/v1/queues/${queue}/dead/retry`, { json: { ids: [first] } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ retried: 1 });
    const task = await call("GET", `/v1/tasks/${first}`);
    expect(["queued", "running", "succeeded"]).toContain(task.body.status);
    const left = await call<{ tasks: unknown[] }>("GET", `/v1/queues/${queue}/dead`);
    expect(left.body.tasks).toHaveLength(2);
  });

  it("purges one, then every dead task of the queue", async () => {
    const one = await call("DELETE", `/v1/queues/${queue}/dead`, { json: { ids: [ids[1]] } });
    expect(one.body).toEqual({ purged: 1 });
    const all = await call("DELETE", `/v1/queues/${queue}/dead`);
    expect(all.body).toEqual({ purged: 1 });
    const left = await call<{ tasks: unknown[] }>("GET", `/v1/queues/${queue}/dead`);
    expect(left.body.tasks).toEqual([]);
  });

  it("retries every dead task when no ids are given", async () => {
    const other = queueName("dead-all");
    await makeDead(other, 2);
    const answer = await call("POST", `/v1/queues/${other}/dead/retry`);
    expect(answer.body).toEqual({ retried: 2 });
    const left = await call<{ tasks: unknown[] }>("GET", `/v1/queues/${other}/dead`);
    expect(left.body.tasks).toEqual([]);
  });
});
