/**
 * The inline start, on by default (src/runtime/inline-start.ts): a single enqueue into an idle queue
 * runs the queue's first invocation in its own isolate, with no push but a delayed one, the safety
 * net; a start that fails publishes the push; an isolate that dies mid-run is covered by the net,
 * with the cron off. QStash's delivery attempts and its event log (each message's creation and
 * delivery, its body naming the queue) tell which path ran; the faults are planned and their use checked.
 */
import { describe, expect, it } from "vitest";
import type { RedisCommand } from "../../dev/rest-server/commands";
import { NET_DELAY_MS } from "../../src/runtime/safety-net";
import { freshQueue, useStack } from "./stack-fixture";

const fixture = useStack({ cronEverySeconds: 0 });

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const { workerUrl, apiToken } = fixture.stack.info;
  const response = await fetch(`${workerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

type TaskView = { status: string; attempts: number; result?: unknown };
const enqueue = async (queue: string, fn: string, input: unknown) => (await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { fn, input })).body.id;
const enqueueEcho = (queue: string, input: unknown) => enqueue(queue, "echo", input);
const waitFor = async (id: string, seconds = 20) => (await call<TaskView>("GET", `/v1/tasks/${id}?wait=${seconds}`)).body;
const deliveries = () => fixture.stack.qstash.stats().attempts;

interface QueueMessage {
  messageId: string;
  createdAt: number;
  /** When QStash first delivered it (undefined: not yet). */
  deliveredAt?: number;
}

async function qstashApi<T>(path: string): Promise<T> {
  const { qstashUrl, qstashToken } = fixture.stack.info;
  return (await (await fetch(`${qstashUrl}${path}`, { headers: { authorization: `Bearer ${qstashToken}` } })).json()) as T;
}

/** The QStash messages published for `queue` (their bodies name it), from the dev server's event log. */
async function messagesFor(queue: string): Promise<QueueMessage[]> {
  const { events } = await qstashApi<{ events: { time: number; state: string; messageId: string; body?: string }[] }>("/v2/events?count=10000");
  const created = events.filter((event) => event.state === "CREATED" && event.body !== undefined && (JSON.parse(event.body) as { queue?: string }).queue === queue);
  return created.map((event) => {
    const times = events.filter((other) => other.messageId === event.messageId && other.state === "ACTIVE").map((other) => other.time);
    return { messageId: event.messageId, createdAt: event.time, ...(times.length > 0 ? { deliveredAt: Math.min(...times) } : {}) };
  });
}

/** How long after its publish a message is (or was) delivered: a pending one's notBefore says when it will be. */
async function delayOf(message: QueueMessage): Promise<number> {
  if (message.deliveredAt !== undefined) return message.deliveredAt - message.createdAt;
  const pending = await qstashApi<{ notBefore?: number }>(`/v2/messages/${message.messageId}`);
  if (pending.notBefore !== undefined) return pending.notBefore - message.createdAt;
  // delivered between the two reads: its first delivery is in the log now
  const { events } = await qstashApi<{ events: { time: number }[] }>(`/v2/events?messageIds=${message.messageId}&state=ACTIVE`);
  return Math.min(...events.map((event) => event.time)) - message.createdAt;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("inline start (the default)", () => {
  it("runs single enqueues into an idle queue with no push but the delayed safety net, one after another and several at once", async () => {
    const queue = freshQueue("inline");
    for (let n = 0; n < 5; n++) expect(await waitFor(await enqueueEcho(queue, { n }))).toMatchObject({ status: "succeeded", result: { n } });
    const together = await Promise.all(Array.from({ length: 8 }, (_, n) => enqueueEcho(queue, { together: n })));
    for (const [n, id] of together.entries()) expect(await waitFor(id)).toMatchObject({ status: "succeeded", result: { together: n } });
    // no push: every message for the queue is delayed, the net (and a lease check when two starts
    // overlapped), none delivered, or due, sooner than NET_DELAY_MS after it was published
    const messages = await until(() => messagesFor(queue), (found) => found.length > 0, "the safety net's message");
    for (const message of messages) expect(await delayOf(message)).toBeGreaterThanOrEqual(NET_DELAY_MS - 500);
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

  it("runs the task of an isolate killed mid-run through the safety net, with the cron off", async () => {
    const queue = freshQueue("inline-net");
    // short leases: the killed run's claim lapses soon after the kill (a task's timeout above the
    // queue's lease is its lease, queue/scripts/pieces/claim.ts: 2 s)
    expect((await call("PATCH", `/v1/queues/${queue}`, { leaseMs: 1_000 })).status).toBe(200);
    const before = deliveries();
    const id = (await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { fn: "sleep", input: { ms: 1_500 }, timeout: 2 })).body.id;
    // the inline start claimed it (nothing was delivered) and published its net, still pending
    const running = await until(() => call<TaskView>("GET", `/v1/tasks/${id}`).then((reply) => reply.body), (task) => task.status !== "queued", "the inline start's claim");
    expect(running).toMatchObject({ status: "running", attempts: 1 });
    const [net] = await until(() => messagesFor(queue), (found) => found.length > 0, "the safety net's message");
    expect(net!.deliveredAt).toBeUndefined();
    expect(deliveries()).toBe(before);
    // the fault: the Worker process running the task dies (SIGKILL) and a new one starts
    await fixture.stack.restartWorker(0);
    const task = await until(() => waitFor(id, 5), (found) => found.status === "succeeded" || found.status === "dead", "the task after the kill", 30_000);
    // the first attempt died with the process; the second ran after the net's delivery
    expect(task).toMatchObject({ status: "succeeded", attempts: 2, result: { slept: expect.any(Number) } });
    expect(deliveries()).toBeGreaterThan(before);
    const [delivered] = (await messagesFor(queue)).filter((message) => message.createdAt === net!.createdAt);
    expect(delivered!.deliveredAt! - delivered!.createdAt).toBeGreaterThanOrEqual(NET_DELAY_MS - 50);
  }, 90_000);
});
