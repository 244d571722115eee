/**
 * `?wait=` answered by an in-isolate done notice (queue/done-notices.ts): the settle wrapper hands
 * the ids it finished, with the records its script returned, to waiters in the same isolate (here:
 * this test process), over the real redis-server behind the REST server. The channel listener is
 * made deaf (subscribed to another queue's channel) and the timed reads set an hour out where a test
 * must show the notice alone answered; reads are counted. Every test ends with no waiter left.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type Listen, redisCompletionListener, type WaitAnswer, waitForTask, withDoneNotices } from "../../src/http/long-poll";
import { DONE_RECORD_BYTES, DONE_REPLY_TASKS } from "../../src/queue/scripts/settle";
import { createTaskQueue, doneChannel, noticeWaiters } from "../../src/queue/index";
import { testKeyspace, testRedis } from "../support/redis-client";
import { queueName } from "./queue-fixture";

const keys = testKeyspace("notice");
const { prefix } = keys;
const redis = testRedis({ responseEncoding: false, automaticDeserialization: false });
const core = createTaskQueue(redis, { prefix });
const listen = redisCompletionListener(redis, (queue) => doneChannel(prefix, queue));
/** Subscribed, but to a channel no settle publishes on: only a notice can wake its waiter. */
const deaf: Listen = (_queue, id) => redisCompletionListener(redis, () => doneChannel(prefix, "no-such-queue"))("no-such-queue", id);
afterAll(keys.cleanup);
afterEach(() => expect(noticeWaiters()).toBe(0));

const HOUR = 3_600_000;

function counting() {
  const counted = { reads: 0, get: (id: string) => (counted.reads++, core.get(id)), fromRecord: core.fromRecord };
  return counted;
}

async function claimed(queue: string, n = 1, input: unknown = "hello") {
  await core.enqueue(queue, Array.from({ length: n }, () => ({ fn: "echo", input })));
  const tasks = await core.claim(queue, n);
  expect(tasks).toHaveLength(n);
  return tasks;
}

/** A wait on a claimed task of a fresh queue, notices registered under `notices`, the channel heard by `channel`. */
async function waitOnClaimed(tasks: Pick<typeof core, "get" | "fromRecord"> = core, channel: Listen = deaf, notices = prefix) {
  const queue = queueName();
  const [task] = await claimed(queue);
  const answer: { by?: WaitAnswer } = {};
  const waiting = waitForTask(tasks, task!.id, HOUR, undefined, withDoneNotices(channel, notices), HOUR, answer);
  return { queue, task: task!, answer, waiting };
}

describe("?wait= answered by a notice in the same isolate", () => {
  it("answers from the record the settle returned, with the channel deaf and no read after the first", async () => {
    const tasks = counting();
    const { queue, task, answer, waiting } = await waitOnClaimed(tasks);
    // registered before the first read (the id names its queue)
    expect(noticeWaiters()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: { sum: 42 } }]);
    const finished = await waiting;
    expect(answer.by).toBe("notice");
    expect(finished).toMatchObject({ id: task.id, status: "succeeded", result: { sum: 42 }, attempts: 1 });
    // the settle's record is the stored one
    expect(finished).toEqual(await core.get(task.id));
    // the first read and the one once the (deaf) subscription was active; none after the notice
    expect(tasks.reads).toBe(2);
  });

  it("is answered by a notice that comes while a read is in flight", async () => {
    // reads that never answer: only the notice can end the wait
    const { queue, task, answer, waiting } = await waitOnClaimed({ get: () => new Promise<never>(() => {}), fromRecord: core.fromRecord });
    await core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: "during the read" }]);
    expect(await waiting).toMatchObject({ id: task.id, status: "succeeded", result: "during the read" });
    expect(answer.by).toBe("notice");
  });

  it("is answered by the channel when no notice comes (the settle in another isolate stands for it)", async () => {
    // notices registered under another deployment's prefix: this isolate's settle hands them nothing
    const { queue, task, answer, waiting } = await waitOnClaimed(core, listen, `${prefix}-elsewhere`);
    setTimeout(() => void core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: "done" }]), 1_500);
    expect(await waiting).toMatchObject({ id: task.id, status: "succeeded", result: "done" });
    expect(answer.by).toBe("channel");
  });

  it("is woken by a death too", async () => {
    const { queue, task, answer, waiting } = await waitOnClaimed();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await core.fail(queue, [{ id: task.id, leaseToken: task.leaseToken, error: "no", retryable: false }]);
    expect(await waiting).toMatchObject({ id: task.id, status: "dead" });
    expect(answer.by).toBe("notice");
  });

  it("reads the task when the settle returned no record: too large, or too many tasks finished in the call", async () => {
    const queue = queueName();
    const [large] = await claimed(queue, 1, "x".repeat(DONE_RECORD_BYTES));
    const tasks = counting();
    const answer: { by?: WaitAnswer } = {};
    const waiting = waitForTask(tasks, large!.id, HOUR, undefined, withDoneNotices(deaf, prefix), HOUR, answer);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await core.complete(queue, [{ id: large!.id, leaseToken: large!.leaseToken, result: "big" }]);
    expect(await waiting).toMatchObject({ status: "succeeded", result: "big" });
    expect([answer.by, tasks.reads]).toEqual(["read", 3]);

    const many = await claimed(queue, DONE_REPLY_TASKS + 1);
    const answers = many.map((): { by?: WaitAnswer } => ({}));
    const waits = many.map((task, i) => waitForTask(core, task.id, HOUR, undefined, withDoneNotices(deaf, prefix), HOUR, answers[i]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await core.complete(queue, many.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: task.id })));
    for (const [i, finished] of (await Promise.all(waits)).entries()) expect(finished).toMatchObject({ id: many[i]!.id, status: "succeeded", result: many[i]!.id });
    // woken by the notice (the channel is deaf, the next timed read an hour away), then read
    expect(new Set(answers.map((a) => a.by))).toEqual(new Set(["read"]));
  });

  it("leaves no waiter behind when the wait runs out, and hands none a settle of a task it does not wait for", async () => {
    const queue = queueName();
    const [waited, other] = await claimed(queue, 2);
    const answer: { by?: WaitAnswer } = {};
    const waiting = waitForTask(core, waited!.id, 600, undefined, withDoneNotices(deaf, prefix), HOUR, answer);
    await core.complete(queue, [{ id: other!.id, leaseToken: other!.leaseToken, result: 1 }]);
    expect(noticeWaiters()).toBe(1);
    expect(await waiting).toMatchObject({ id: waited!.id, status: "running" });
    expect(answer.by).toBe("read");
    expect(noticeWaiters()).toBe(0);
  });
});
