/**
 * The inline start's safety net (src/runtime/safety-net.ts) as QStash delivers it to the push
 * handler: a live queue's net is put off, published again for after the live mark's end with the
 * parallelism it carried, and claims nothing; an idle queue's net runs as a push. Real Redis through
 * the REST server, the real QStash dev server (its event log and pending messages read back).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { functions } from "../../functions/index";
import { createTaskQueue } from "../../src/queue/index";
import type { TaskQueue } from "../../src/queue/types";
import { createLogger } from "../../src/runtime/logger";
import { handlePush } from "../../src/runtime/push";
import { clientsFromEnv } from "../../src/runtime/clients";
import { startReceiver, type Receiver } from "../support/qstash-receiver";
import { queueName } from "../support/names";
import { rawTestRedis, testKeyspace } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";

const keys = testKeyspace("rt-net");
afterAll(keys.cleanup);

let receiver: Receiver;
let tasks: TaskQueue;
const log = createLogger("error", {}, () => {});

beforeAll(async () => {
  receiver = await startReceiver();
  tasks = createTaskQueue(rawTestRedis(), { prefix: keys.prefix });
});
afterAll(async () => {
  await receiver.close();
});

async function qstashApi<T>(path: string): Promise<T> {
  const response = await fetch(`${inject("qstashUrl")}${path}`, { headers: { authorization: `Bearer ${inject("qstashToken")}` } });
  return (await response.json()) as T;
}

/** The messages published for `queue`: body and, while pending, when they are due (ms). */
async function messagesFor(queue: string) {
  const { events } = await qstashApi<{ events: { state: string; messageId: string; body?: string }[] }>("/v2/events?state=CREATED&count=100000");
  // the dev server is shared with other test files, whose bodies need not be JSON
  const mine = events.flatMap((event) => {
    const body = parsed(event.body);
    return body?.queue === queue ? [{ messageId: event.messageId, body }] : [];
  });
  return Promise.all(mine.map(async ({ messageId, body }) => ({ notBefore: (await qstashApi<{ notBefore?: number }>(`/v2/messages/${messageId}`)).notBefore, body: body as unknown })));
}

function parsed(body: string | undefined): { queue?: string } | undefined {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body) as { queue?: string };
  } catch {
    return undefined;
  }
}

describe("the inline start's safety net", () => {
  it("is put off while the queue is live: nothing claimed, published again for after the mark's end", async () => {
    const queue = queueName("net-live");
    const env = testEnv(`${receiver.base}/net`, keys.prefix);
    await tasks.enqueue(queue, [{ fn: "echo", input: 1 }, { fn: "echo", input: 2 }]);
    // a claim that takes a task marks the queue live (queue/scripts/pieces/live.ts)
    expect(await tasks.claim(queue, 1, 30_000)).toHaveLength(1);
    const until = await clientsFromEnv(env, { log }).forQueue(queue).epochs.liveUntil(queue);
    expect(until).toBeGreaterThan(Date.now());

    const report = await handlePush(env, { queue, net: { parallelism: 3 } }, { functions, log });
    expect(report).toMatchObject({ queue, claimed: 0, published: 1 });
    expect((await tasks.getQueue(queue)).counts).toMatchObject({ queued: 1, running: 1 });
    const [again, ...more] = await messagesFor(queue);
    expect(more).toEqual([]);
    expect(again!.body).toEqual({ queue, net: { parallelism: 3 } });
    expect(again!.notBefore).toBeGreaterThanOrEqual(until! + 1_000);
  });

  it("runs as a push when the queue is idle", async () => {
    const queue = queueName("net-idle");
    const env = testEnv(`${receiver.base}/net`, keys.prefix);
    await tasks.enqueue(queue, [{ fn: "echo", input: "left by a dead run" }]);
    expect(await clientsFromEnv(env, { log }).forQueue(queue).epochs.liveUntil(queue)).toBeNull();
    expect(await handlePush(env, { queue, net: { parallelism: 3 } }, { functions, log })).toMatchObject({ queue, claimed: 1, succeeded: 1 });
    expect(await messagesFor(queue)).toEqual([]);
  });
});
