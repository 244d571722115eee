/**
 * EDGEQ_INLINE_START=on (src/runtime/inline-start.ts): a single enqueue into an idle queue runs the
 * queue's first invocation in its own isolate, with no push; a start that fails publishes the push,
 * and the task still runs with the cron off. QStash's delivery attempts are counted to tell which
 * path ran; the fault is planned on the REST server and its use checked.
 */
import { describe, expect, it } from "vitest";
import type { RedisCommand } from "../../dev/rest-server/commands";
import { freshQueue, useStack } from "./stack-fixture";

const fixture = useStack({ cronEverySeconds: 0, inlineStart: true });

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const { workerUrl, apiToken } = fixture.stack.info;
  const response = await fetch(`${workerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const enqueueEcho = async (queue: string, input: unknown) => (await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input })).body.id;
const waitFor = async (id: string) => (await call<{ status: string; result?: unknown }>("GET", `/v1/tasks/${id}?wait=20`)).body;
const deliveries = () => fixture.stack.qstash.stats().attempts;

describe("inline start", () => {
  it("runs single enqueues into an idle queue with no push, one after another and several at once", async () => {
    const queue = freshQueue("inline");
    const before = deliveries();
    for (let n = 0; n < 5; n++) expect(await waitFor(await enqueueEcho(queue, { n }))).toMatchObject({ status: "succeeded", result: { n } });
    const together = await Promise.all(Array.from({ length: 8 }, (_, n) => enqueueEcho(queue, { together: n })));
    for (const [n, id] of together.entries()) expect(await waitFor(id)).toMatchObject({ status: "succeeded", result: { together: n } });
    expect(deliveries()).toBe(before);
  }, 60_000);

  it("publishes the push when the start fails, and the task still runs with the cron off", async () => {
    const queue = freshQueue("inline-fault");
    // a short lease: the failed start claimed the task before its answer was lost
    expect((await call("PATCH", `/v1/queues/${queue}`, { leaseMs: 1_000 })).status).toBe(200);
    const mine = (command: RedisCommand) => /^EVAL/.test(command.name) && command.args.some((arg) => String(arg).includes(`{${queue}}`));
    // the enqueue's script call passes; the inline start's (the next) loses its answer
    let scripts = 0;
    let injected = 0;
    fixture.stack.rest.setFaults(undefined, (command) => {
      if (!mine(command) || ++scripts !== 2) return undefined;
      injected++;
      return "error-after";
    });
    try {
      const before = deliveries();
      const id = await enqueueEcho(queue, "after a fault");
      expect(await waitFor(id)).toMatchObject({ status: "succeeded", result: "after a fault" });
      expect(injected).toBe(1);
      expect(deliveries()).toBeGreaterThan(before);
    } finally {
      fixture.stack.rest.setFaults(undefined);
    }
  }, 60_000);
});
