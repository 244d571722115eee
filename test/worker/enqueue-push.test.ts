import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RecordedDelivery } from "./fixtures";
import { call, directQueue, queueName } from "./helpers";

/** The sink's deliveries for `queue`, waiting (a bounded number of rounds) for QStash to push. */
async function pushesFor(queue: string, rounds = 100): Promise<RecordedDelivery[]> {
  for (let round = 0; round < rounds; round++) {
    const all = (await (await fetch(`${env.EDGEQ_PUBLIC_URL}/deliveries`)).json()) as RecordedDelivery[];
    const mine = all.filter((delivery) => JSON.parse(delivery.body).queue === queue);
    if (mine.length > 0) return mine;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}

/** Delivers a recorded push to the Worker as QStash would, at the URL it signed. */
function deliver(push: RecordedDelivery): Promise<Response> {
  return exports.default.fetch(
    new Request(`${env.EDGEQ_PUBLIC_URL}${push.path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "upstash-signature": push.signature! },
      body: push.body,
    }),
  );
}

describe("an enqueue pushes the workers", () => {
  it("publishes a push that QStash delivers signed, and the Worker accepts and runs it", async () => {
    const queue = queueName("push");
    const tasks = [1, 2, 3].map((n) => ({ fn: "echo", input: { n } }));
    const enqueued = await call<{ ids: string[] }>("POST", `/v1/queues/${queue}/tasks`, { json: { tasks } });
    expect(enqueued.status).toBe(202);

    const [push] = await pushesFor(queue);
    expect(push).toBeDefined();
    expect(push!.path).toBe("/v1/work");
    expect(push!.signature).toBeTruthy();

    // Replayed at the URL QStash signed, the delivery passes the Worker's signature check as it is.
    const response = await deliver(push!);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ queue, claimed: 3, succeeded: 3 });
    for (const id of enqueued.body.ids) {
      expect((await call("GET", `/v1/tasks/${id}`, { token: "read" })).body.status).toBe("succeeded");
    }
  });

  it("publishes a push when dead tasks are retried, so they run without waiting for the cron", async () => {
    const queue = queueName("push-retry");
    // made dead through the queue core directly: no enqueue over HTTP, so no push yet
    const core = directQueue();
    await core.enqueue(queue, [{ fn: "echo", input: { n: 1 } }]);
    const [task] = await core.claim(queue, 1);
    await core.fail(queue, [{ id: task!.id, leaseToken: task!.leaseToken, error: "gone", retryable: false }]);
    expect(await pushesFor(queue, 5)).toEqual([]);
    const retried = await call("POST", `/v1/queues/${queue}/dead/retry`, { json: { ids: [task!.id] } });
    expect(retried.body).toEqual({ retried: 1 });
    const [push] = await pushesFor(queue);
    expect(push?.path).toBe("/v1/work");
  });

  it("publishes nothing when every task was a duplicate", async () => {
    const queue = queueName("push-dup");
    const id = `once-${crypto.randomUUID()}`;
    // enqueued through the queue core directly: no enqueue over HTTP, so any push seen came from the repeat
    await directQueue().enqueue(queue, [{ fn: "echo", input: null, id }]);
    const again = await call<{ duplicate: boolean }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", id } });
    expect(again.body.duplicate).toBe(true);
    expect(await pushesFor(queue, 20)).toEqual([]);
  });

  it("publishes no push while the queue is paused, and one when it resumes with tasks waiting", async () => {
    const queue = queueName("push-resume");
    await call("POST", `/v1/queues/${queue}/pause`);
    const enqueued = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", input: { n: 1 } } });
    expect(await pushesFor(queue, 20)).toEqual([]);
    expect((await call("POST", `/v1/queues/${queue}/resume`)).status).toBe(200);
    const [push] = await pushesFor(queue);
    expect(push?.path).toBe("/v1/work");
    const response = await deliver(push!);
    expect(await response.json()).toMatchObject({ queue, claimed: 1, succeeded: 1 });
    expect((await call("GET", `/v1/tasks/${enqueued.body.id}`, { token: "read" })).body.status).toBe("succeeded");
  });

  it("pushes after a resume though an invocation's live mark was left standing by the pause", async () => {
    const queue = queueName("push-live");
    // an invocation claims (the queue is live) and is paused before its next claim, which takes nothing and so clears nothing
    await directQueue().enqueue(queue, [{ fn: "echo", input: 0 }]);
    expect(await directQueue().claim(queue, 10)).toHaveLength(1);
    await call("POST", `/v1/queues/${queue}/pause`);
    expect(await directQueue().claim(queue, 10)).toEqual([]);
    // a live queue's enqueue reads no META (the mark's stats copy, pieces/live.ts): paused is not read, no push is due
    expect((await directQueue().enqueueAndPeek(queue, [{ fn: "echo", input: 1 }])).pushInfo).toMatchObject({ live: true });
    expect((await call("POST", `/v1/queues/${queue}/resume`)).status).toBe(200);
    expect((await directQueue().enqueueAndPeek(queue, [{ fn: "echo", input: 2 }])).pushInfo).toMatchObject({ live: false, paused: false });
  });

  it("publishes no push now for a delayed task, and a delayed push that runs it once it is due", async () => {
    const queue = queueName("push-later");
    const enqueued = await call<{ id: string; status: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", delay: "2s" } });
    expect(enqueued.body.status).toBe("delayed");
    expect(await pushesFor(queue, 10)).toEqual([]);
    const [push] = await pushesFor(queue);
    expect(push?.path).toBe("/v1/work");
    // Delivered at the second it fell due: the claim finds it due, with no cron having promoted it.
    const response = await deliver(push!);
    expect(await response.json()).toMatchObject({ queue, claimed: 1, succeeded: 1 });
    expect((await call("GET", `/v1/tasks/${enqueued.body.id}`, { token: "read" })).body.status).toBe("succeeded");
  });
});
