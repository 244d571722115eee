/**
 * `?wait=` through the whole stack with the inline start on and two Worker processes (one isolate
 * each): a task runs in the isolate that took its enqueue. A waiter in that isolate is answered by
 * the in-isolate done notice; a waiter in the other by the done channel (SSE through the REST
 * server). The response header Edgeq-Wait-Answer says which answered. The notice and the channel
 * reach a waiter in the same isolate at about the same time, so the first test refuses every
 * subscription at the REST server (counted): only the notice can answer before the next timed read.
 * The task sleeps 450 ms, between the waiter's timed reads at about 315 and 635 ms.
 */
import { describe, expect, it } from "vitest";
import { WAIT_ANSWER_HEADER } from "../../src/http/long-poll";
import { freshQueue, useStack } from "./stack-fixture";

const fixture = useStack({ cronEverySeconds: 0, inlineStart: true, workers: 2 });

async function call(worker: number, method: string, path: string, body?: unknown): Promise<Response> {
  const { apiToken } = fixture.stack.info;
  return fetch(`${fixture.stack.workers[worker]!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Enqueues a short sleep on worker `at`, waits for it on worker `waitOn`: the task and what answered. */
async function sleepAndWait(queue: string, at: number, waitOn: number) {
  const enqueued = await call(at, "POST", `/v1/queues/${queue}/tasks`, { fn: "sleep", input: { ms: 450 } });
  expect(enqueued.status).toBe(202);
  const { id } = (await enqueued.json()) as { id: string };
  const answered = await call(waitOn, "GET", `/v1/tasks/${id}?wait=20`);
  expect(answered.status).toBe(200);
  return { task: (await answered.json()) as { status: string; result?: { slept: number } }, by: answered.headers.get(WAIT_ANSWER_HEADER) };
}

describe("?wait= with the inline start", () => {
  it("is answered by the notice in the isolate that ran the task, with no subscription to hear the channel", async () => {
    const { rest } = fixture.stack;
    const refusedBefore = rest.stats().faults["error-before"];
    rest.setFaults((target) => (target.path.toLowerCase().startsWith("/subscribe/") ? "error-before" : undefined));
    try {
      const here = await sleepAndWait(freshQueue("notice"), 0, 0);
      expect(here.task).toMatchObject({ status: "succeeded", result: { slept: expect.any(Number) } });
      expect(here.by).toBe("notice");
      expect(rest.stats().faults["error-before"]).toBeGreaterThan(refusedBefore);
    } finally {
      rest.setFaults(undefined);
    }
  }, 60_000);

  it("is answered by the channel in another isolate", async () => {
    const there = await sleepAndWait(freshQueue("channel"), 0, 1);
    expect(there.task).toMatchObject({ status: "succeeded" });
    expect(there.by).toBe("channel");
  }, 60_000);
});
