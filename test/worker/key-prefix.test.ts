/**
 * EDGEQ_KEY_PREFIX reaches every part of the Worker that writes to Redis: tasks and queues, push
 * epochs, jobs, replay marks and rate-limit windows all land under it, and nothing under the
 * default "edgeq". (The worker project's Redis is its own: every key there is this Worker's, or the
 * QStash dev server's under its own "test-qstash:", see test/support/global-setup.ts.)
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_PREFIX } from "../../src/queue/index";
import { WORKER_TEST_PREFIX } from "./fixtures";
import { call, queueName, settledTask, signDelivery, WORK_URL } from "./helpers";
import { dumpRedis } from "./redis-dump";
import { callWith, freshToken } from "./security-helpers";

const QSTASH_DEV_PREFIX = "test-qstash:";

describe("the key prefix", () => {
  it("holds every key the Worker writes: tasks, epochs, jobs, replay marks, rate windows", async () => {
    expect(env.EDGEQ_KEY_PREFIX).toBe(WORKER_TEST_PREFIX);
    expect(WORKER_TEST_PREFIX).not.toBe(DEFAULT_PREFIX);
    const queue = queueName("prefix");
    const enqueued = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", input: { hello: "prefix" } } });
    expect(enqueued.status).toBe(202);
    const body = JSON.stringify({ queue });
    const delivered = await call("POST", "/v1/work", { token: null, body, headers: { "content-type": "application/json", "upstash-signature": await signDelivery({ body, url: WORK_URL }) } });
    expect(delivered.status).toBe(200);
    expect(await settledTask(enqueued.body.id)).toMatchObject({ status: "succeeded" });
    expect((await call("POST", "/v1/jobs", { json: { fn: "estimate-pi", input: { tasks: 1, samples: 10 }, queue } })).status).toBe(202);
    const token = freshToken("prefix");
    expect((await callWith({ EDGEQ_TOKENS: `${token}:enqueue`, EDGEQ_ENQUEUE_RATE: "5/1h" }, "POST", `/v1/queues/${queue}/tasks`, { token, json: { fn: "echo", input: 1 } })).status).toBe(202);

    const keys = [...(await dumpRedis()).keys()];
    const ours = (part: string) => keys.some((key) => key.startsWith(`${WORKER_TEST_PREFIX}:${part}`));
    expect(ours(`q:{${queue}}:push-epoch`)).toBe(true);
    // records live in partitions under the queue's hash tag, and so do a push's replay mark and a job's hash
    expect(ours(`q:{${queue}}:t:`)).toBe(true);
    expect(ours(`q:{${queue}}:job:`)).toBe(true);
    expect(ours(`q:{${queue}}:sec:replay:`)).toBe(true);
    expect(ours("sec:rate:")).toBe(true);
    expect(keys.filter((key) => !key.startsWith(`${WORKER_TEST_PREFIX}:`) && !key.startsWith(QSTASH_DEV_PREFIX))).toEqual([]);
  });
});
