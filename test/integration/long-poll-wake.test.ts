/**
 * `?wait=` woken by completion: the settle script publishes the ids it finished on the queue's done
 * channel, and the waiter listens through the REST server's SSE subscribe with the real
 * @upstash/redis client. The wait and its timed reads are set an hour out where a test must show the
 * wake-up alone ended it (the test's own timeout fails it otherwise); a listener on the wrong channel
 * stands for a missed wake-up. The wake-up carries small records: reads are counted to show a waiter
 * answered from it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type Listen, markWaiting, parseFinished, redisCompletionListener, type WaitAnswer, waitForTask } from "../../src/http/long-poll";
import { DONE_RECORD_BYTES } from "../../src/queue/scripts/settle";
import { createTaskQueue, doneChannel, queueKeyMap } from "../../src/queue/index";
import { testKeyspace, testRedis } from "../support/redis-client";
import { queueName } from "./queue-fixture";

const keys = testKeyspace("wake");
const { prefix } = keys;
const redis = testRedis({ responseEncoding: false, automaticDeserialization: false });
const core = createTaskQueue(redis, { prefix });
const HOUR = 3_600_000;
/** The route's listener: subscribed, and the waiters' mark set (without it a settle that claims publishes nothing). */
const marked = (queue: string) => markWaiting(doneChannel(prefix, queue), HOUR, (untilMs) => core.markWaiting(queue, untilMs));
const listen = redisCompletionListener(redis, (queue) => doneChannel(prefix, queue), marked);
afterAll(keys.cleanup);

/** The queue core with its reads of one task counted. */
function counting() {
  const counted = { reads: 0, get: (id: string) => (counted.reads++, core.get(id)), fromRecord: core.fromRecord };
  return counted;
}

/** `listen` with its subscriptions counted: made, closed, and made before the first read began. */
function watched(tasks: ReturnType<typeof counting>) {
  const seen = { made: 0, closed: 0, madeBeforeFirstRead: false };
  const get = tasks.get;
  tasks.get = (id: string) => {
    if (tasks.reads === 0) seen.madeBeforeFirstRead = seen.made > 0;
    return get(id);
  };
  const watching: Listen = (queue) => {
    seen.made++;
    const listener = listen(queue);
    return { ...listener, close: () => (seen.closed++, listener.close()) };
  };
  return { seen, watching };
}

async function claimOne(queue: string, input: unknown = "hello") {
  const [created] = await core.enqueue(queue, [{ fn: "echo", input }]);
  const [task] = await core.claim(queue, 1);
  expect(task?.id).toBe(created!.id);
  return task!;
}

describe("long-poll woken by completion", () => {
  it("returns the finished task when its completion is published, with no timed read due", async () => {
    const queue = queueName();
    const task = await claimOne(queue);
    // The wait and the next timed read are an hour away: only the wake-up can end it within the
    // test's timeout. The completion comes once the subscription is surely active.
    const waiting = waitForTask(core, task.id, HOUR, undefined, listen, HOUR);
    setTimeout(() => void core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: "done" }]), 1_500);
    const finished = await waiting;
    expect(finished).toMatchObject({ id: task.id, status: "succeeded", result: "done" });
  });

  it("answers from the record the wake-up carries, with no read after it", async () => {
    const queue = queueName();
    const task = await claimOne(queue);
    const tasks = counting();
    const waiting = waitForTask(tasks, task.id, HOUR, undefined, listen, HOUR);
    setTimeout(() => void core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: { sum: 42 } }]), 1_500);
    const finished = await waiting;
    expect(finished).toMatchObject({ id: task.id, queue, fn: "echo", status: "succeeded", input: "hello", result: { sum: 42 }, attempts: 1 });
    expect(finished).toEqual(await core.get(task.id));
    // the first read, and the one once the subscription was active: none after the wake-up
    expect(tasks.reads).toBe(2);
  });

  it("answers from a wake-up that comes while a read is in flight, not the read's reply", async () => {
    const queue = queueName();
    const task = await claimOne(queue);
    // reads that never answer: only the wake-up can end the wait (it used to wait for the read)
    const stuck = { get: () => new Promise<never>(() => {}), fromRecord: core.fromRecord };
    const answer: { by?: WaitAnswer } = {};
    const waiting = waitForTask(stuck, task.id, HOUR, undefined, listen, HOUR, answer);
    setTimeout(() => void core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: "during the read" }]), 1_500);
    expect(await waiting).toMatchObject({ id: task.id, status: "succeeded", result: "during the read" });
    expect(answer.by).toBe("channel");
  });

  it("subscribes beside the first read when the id names its queue, and still answers from the wake-up", async () => {
    const queue = queueName();
    const task = await claimOne(queue);
    expect(task.id.startsWith(`${queue}~`)).toBe(true);
    const tasks = counting();
    const { seen, watching } = watched(tasks);
    const waiting = waitForTask(tasks, task.id, HOUR, undefined, watching, HOUR);
    setTimeout(() => void core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: 1 }]), 1_500);
    expect(await waiting).toEqual(await core.get(task.id));
    expect(seen).toEqual({ made: 1, closed: 1, madeBeforeFirstRead: true });
    expect(tasks.reads).toBe(2);
  });

  it("closes the subscription it opened beside the first read when the task is final already", async () => {
    const queue = queueName();
    const task = await claimOne(queue);
    await core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: 2 }]);
    const tasks = counting();
    const { seen, watching } = watched(tasks);
    expect(await waitForTask(tasks, task.id, HOUR, undefined, watching, HOUR)).toMatchObject({ status: "succeeded", result: 2 });
    expect(seen).toEqual({ made: 1, closed: 1, madeBeforeFirstRead: true });
    expect(tasks.reads).toBe(1);
  });

  it("reads a task whose record is too large to ride on the wake-up", async () => {
    const queue = queueName();
    const task = await claimOne(queue, "x".repeat(DONE_RECORD_BYTES));
    const tasks = counting();
    const waiting = waitForTask(tasks, task.id, HOUR, undefined, listen, HOUR);
    setTimeout(() => void core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: "done" }]), 1_500);
    expect(await waiting).toMatchObject({ id: task.id, status: "succeeded", result: "done" });
    expect(tasks.reads).toBe(3);
  });

  it("reads the ids of a message whose records do not parse, and carries none", () => {
    expect(parseFinished("q", "a,b")).toEqual({ ids: ["q~a", "q~b"], records: new Map() });
    expect(parseFinished("q", 'a,b {"a":"s|1"}')).toEqual({ ids: ["q~a", "q~b"], records: new Map([["q~a", "s|1"]]) });
    expect(parseFinished("q", "a {not json")).toEqual({ ids: ["q~a"], records: new Map() });
  });

  it("is woken by a death too (a failure with no attempts left)", async () => {
    const queue = queueName();
    const task = await claimOne(queue);
    const waiting = waitForTask(core, task.id, HOUR, undefined, listen, HOUR);
    setTimeout(() => void core.fail(queue, [{ id: task.id, leaseToken: task.leaseToken, error: "no", retryable: false }]), 1_500);
    expect(await waiting).toMatchObject({ id: task.id, status: "dead" });
  });

  it("still ends with the result when the wake-up is missed (timed reads)", async () => {
    const queue = queueName();
    const task = await claimOne(queue);
    const deaf = redisCompletionListener(redis, () => doneChannel(prefix, "some-other-queue"), marked);
    const waiting = waitForTask(core, task.id, 20_000, undefined, deaf, 50);
    setTimeout(() => void core.complete(queue, [{ id: task.id, leaseToken: task.leaseToken, result: 7 }]), 300);
    expect(await waiting).toMatchObject({ status: "succeeded", result: 7 });
  });

  it("has settles publish only while a waiter's mark stands (a PUBLISH is a billed command)", async () => {
    const queue = queueName();
    const unmarked = redisCompletionListener(redis, (q) => doneChannel(prefix, q), async () => {})(queue);
    await unmarked.ready;
    const heard: string[][] = [];
    const hear = async () => {
      for (;;) heard.push((await unmarked.next()).ids);
    };
    void hear();
    try {
      // a settle that claims reads the mark with the queue's meta: none stands, so it publishes nothing
      const first = await claimOne(queue);
      await core.settleAndClaim(queue, { completions: [{ id: first.id, leaseToken: first.leaseToken, result: 1 }], failures: [] }, 1);
      const second = await claimOne(queue);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(heard).toEqual([]);
      expect(await core.markWaiting(queue, Date.now() + 60_000)).toBe(true);
      await core.settleAndClaim(queue, { completions: [{ id: second.id, leaseToken: second.leaseToken, result: 2 }], failures: [] }, 1);
      const started = Date.now();
      while (heard.length === 0 && Date.now() - started < 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(heard).toEqual([[second.id]]);
    } finally {
      unmarked.close();
    }
  });

  it("marks no queue that does not exist, and leaves no key behind", async () => {
    const queue = queueName();
    expect(await core.markWaiting(queue, Date.now() + 60_000)).toBe(false);
    const { meta, stats } = queueKeyMap(prefix, queue);
    expect(await redis.exists(meta, stats)).toBe(0);
  });

  it("still ends at the wait's end when nothing finishes, with the task as it is", async () => {
    const queue = queueName();
    const task = await claimOne(queue);
    expect(await waitForTask(core, task.id, 600, undefined, listen, HOUR)).toMatchObject({ id: task.id, status: "running" });
  });
});
