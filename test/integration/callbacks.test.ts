/**
 * Completion callbacks through the real runtime, QStash dev server and Receiver: one message per
 * batch per URL, the final JSON of succeeded, dead and canceled tasks, signatures that verify, the
 * allow-list, and a receiver that fails twice getting the completion once it recovers.
 */
import { Receiver as SignatureReceiver } from "@upstash/qstash";
import { describe, expect, inject, it } from "vitest";
import { functions } from "../../functions/index";
import { withCallbacks } from "../../src/http/callbacks";
import { createCallbackStore, jobCallbackField } from "../../src/queue/callbacks";
import type { Env } from "../../src/env";
import { callbackDeps, clientsFromEnv, deliverCallbacksSafely } from "../../src/runtime/index";
import { startJob } from "../../src/runtime/jobs/start-job";
import { runtimeFromEnv } from "../../src/runtime/runtime";
import { ProblemError } from "../../src/http/problem";
import { createTaskQueue } from "../../src/queue/index";
import type { EnqueueRequest } from "../../src/queue/types";
import type { CallbackTarget } from "../../src/queue/callbacks";
import { createLogger } from "../../src/runtime/logger";
import { handlePush } from "../../src/runtime/push";
import { handleScheduled } from "../../src/runtime/scheduled";
import { receiverForFile, type Delivery } from "../support/qstash-receiver";
import { testRedis } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";
import { queueName } from "../support/names";

const receiver = receiverForFile();
const tasks = createTaskQueue(testRedis({ responseEncoding: false, automaticDeserialization: false }), {});
const log = createLogger("error", {}, () => {});
const env = () => testEnv(`${receiver().base}/ignored`);
const signatures = () => new SignatureReceiver({ currentSigningKey: inject("qstashCurrentSigningKey"), nextSigningKey: inject("qstashNextSigningKey") });

const callbacks = createCallbackStore(testRedis());

/** Enqueues as POST /v1/queues/{queue}/tasks does: callbacks checked and stored first. */
async function enqueueWithCallbacks(queue: string, requests: EnqueueRequest[], targets: (CallbackTarget | undefined)[]) {
  const { requests: withIds, entries } = withCallbacks(env(), requests, targets, true);
  await callbacks.set(queue, entries);
  return (await tasks.enqueue(queue, withIds)).map((result) => result.id);
}

async function verified(delivery: Delivery): Promise<{ tasks: { id: string; status: string; result?: unknown; error?: string }[] }> {
  expect(await signatures().verify({ signature: String(delivery.headers["upstash-signature"]), body: delivery.body, url: delivery.url })).toBe(true);
  return JSON.parse(delivery.body);
}

describe("completion callbacks", () => {
  it("send one signed message per URL per batch, with each task's final JSON", async () => {
    const queue = queueName("batch");
    const a = receiver().route();
    const b = receiver().route();
    const target = { url: a.url, headers: { "x-hook-secret": "s3cret" } };
    const ids = await enqueueWithCallbacks(
      queue,
      [{ fn: "echo", input: { n: 1 } }, { fn: "echo", input: { n: 2 } }, { fn: "flaky", input: { failures: 5 }, maxAttempts: 1 }, { fn: "echo", input: { n: 4 } }, { fn: "echo", input: { n: 5 } }],
      [target, target, target, { url: b.url }, undefined],
    );
    expect(await handlePush(env(), { queue }, { functions, log })).toMatchObject({ claimed: 5, succeeded: 4, dead: 1 });
    const [toA] = await receiver().waitFor(a.path, 1);
    const [toB] = await receiver().waitFor(b.path, 1);
    expect(toA!.headers["x-hook-secret"]).toBe("s3cret");
    const bodyA = await verified(toA!);
    expect(bodyA.tasks.map((task) => task.id).sort()).toEqual(ids.slice(0, 3).sort());
    expect(bodyA.tasks.find((task) => task.id === ids[0])).toMatchObject({ status: "succeeded", result: { n: 1 }, queue, fn: "echo" });
    expect(bodyA.tasks.find((task) => task.id === ids[2])).toMatchObject({ status: "dead", error: expect.stringMatching(/failing on purpose/) });
    expect((await verified(toB!)).tasks).toMatchObject([{ id: ids[3], status: "succeeded", result: { n: 4 } }]);
    // Exactly one message each, and nothing for the task without a callback.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver().deliveriesTo(a.path)).toHaveLength(1);
    expect(receiver().deliveriesTo(b.path)).toHaveLength(1);
  });

  it("a receiver failing twice still gets the completion once it recovers (QStash retries)", async () => {
    const queue = queueName("recover");
    let calls = 0;
    const flaky = receiver().route(() => (++calls <= 2 ? { status: 503, body: "down" } : { status: 200 }));
    const [id] = await enqueueWithCallbacks(queue, [{ fn: "echo", input: { ok: true } }], [{ url: flaky.url }]);
    await handlePush(env(), { queue }, { functions, log });
    // Retries after 1 s and 2 s (the callback's retry delay).
    const deliveries = await receiver().waitFor(flaky.path, 3, 15_000);
    expect(deliveries.map((d) => d.body)).toEqual([deliveries[0]!.body, deliveries[0]!.body, deliveries[0]!.body]);
    expect((await verified(deliveries[2]!)).tasks).toMatchObject([{ id, status: "succeeded", result: { ok: true } }]);
  });

  it("a canceled task's callback goes out with the cancel", async () => {
    const queue = queueName("cancel");
    const hook = receiver().route();
    const [id] = await enqueueWithCallbacks(queue, [{ fn: "echo", input: 1, delayMs: 60_000 }], [{ url: hook.url }]);
    expect(await tasks.cancel([id!])).toEqual([id]);
    // As DELETE /v1/tasks/{id} does after its cancel.
    expect(await deliverCallbacksSafely(queue, [id!], callbackDeps(clientsFromEnv(env()), { tasks, log, payloads: null }))).toBe(1);
    const [delivery] = await receiver().waitFor(hook.path, 1);
    expect((await verified(delivery!)).tasks).toMatchObject([{ id, status: "canceled" }]);
  });

  it("a task that dies in upkeep (its lease ran out on the last attempt) gets its callback from the cron's sweep", async () => {
    const queue = queueName("upkeep");
    const hook = receiver().route();
    const [id] = await enqueueWithCallbacks(queue, [{ fn: "echo", input: 1, maxAttempts: 1 }], [{ url: hook.url }]);
    // A worker claims it and vanishes: no settle, so no worker ever delivers this callback.
    const [claimed] = await tasks.claim(queue, 1, 1_000);
    expect(claimed?.id).toBe(id);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await handleScheduled(env(), { queues: [queue], functions, log });
    expect((await tasks.get(id!))?.status).toBe("dead");
    const [delivery] = await receiver().waitFor(hook.path, 1);
    expect((await verified(delivery!)).tasks).toMatchObject([{ id, status: "dead" }]);
    // Delivered once: the next sweep finds nothing left.
    await handleScheduled(env(), { queues: [queue], functions, log });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver().deliveriesTo(hook.path)).toHaveLength(1);
  });

  it("refuse a host outside EDGEQ_CALLBACK_HOSTS, naming the field", () => {
    const allowing = { ...env(), EDGEQ_CALLBACK_HOSTS: "hooks.example.com, *.example.org" };
    const request: EnqueueRequest = { fn: "echo", input: 1 };
    const refused = (url: string, vars: Env = allowing) => {
      try {
        withCallbacks(vars, [request, request], [undefined, { url }], true);
      } catch (error) {
        if (error instanceof ProblemError) return error.problem.errors?.[0]?.field;
        throw error;
      }
      return "accepted";
    };
    expect(refused("https://evil.example.net/x")).toBe("tasks[1].callback.url");
    expect(refused("https://example.org/x")).toBe("tasks[1].callback.url");
    expect(refused("http://127.0.0.1:9/x")).toBe("tasks[1].callback.url"); // loopback only when unset
    expect(refused("ftp://hooks.example.com/x")).toBe("tasks[1].callback.url");
    expect(refused("https://hooks.example.com/x")).toBe("accepted");
    expect(refused("https://a.b.example.org/x")).toBe("accepted");
    expect(refused("https://hooks.example.com/x", env())).toBe("tasks[1].callback.url");
    expect(refused("http://127.0.0.1:9/x", env())).toBe("accepted");
  });
});

describe("job and queue callbacks", () => {
  it("a job's callback carries the finished job, once; its map tasks send none of their own", async () => {
    const queue = queueName("job");
    const hook = receiver().route();
    const runtime = runtimeFromEnv(env(), { functions, log });
    const job = functions.job("estimate-pi");
    if (!job) throw new Error("estimate-pi is not registered");
    const started = await startJob(job, { tasks: 3, samples: 100, seed: 1 }, queue, { tasks: runtime.tasks, jobs: runtime.jobs, now: Date.now });
    // As POST /v1/jobs does with a callback; the queue's own callback must not fire for its map tasks.
    await callbacks.set(queue, [{ id: jobCallbackField(started.id), target: { url: hook.url } }]);
    await callbacks.setQueueDefault(queue, { url: hook.url });
    for (let round = 0; round < 10 && (await runtime.jobs.get(started.id))?.status === "running"; round++) await handlePush(env(), { queue }, { functions, log });
    const [delivery] = await receiver().waitFor(hook.path, 1);
    const body = (await verified(delivery!)) as unknown as { jobs: { id: string; status: string; result: { samples: number } }[] };
    expect(body.jobs).toMatchObject([{ id: started.id, status: "succeeded", result: { samples: 300 } }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver().deliveriesTo(hook.path)).toHaveLength(1);
  });

  it("a queue's callback serves every task without its own", async () => {
    const queue = queueName("queue-default");
    const fallback = receiver().route();
    const own = receiver().route();
    await callbacks.setQueueDefault(queue, { url: fallback.url });
    const ids = await enqueueWithCallbacks(queue, [{ fn: "echo", input: 1 }, { fn: "echo", input: 2 }], [undefined, { url: own.url }]);
    await handlePush(env(), { queue }, { functions, log });
    expect((await verified((await receiver().waitFor(fallback.path, 1))[0]!)).tasks).toMatchObject([{ id: ids[0] }]);
    expect((await verified((await receiver().waitFor(own.path, 1))[0]!)).tasks).toMatchObject([{ id: ids[1] }]);
  });
});
