import { describe, expect, it } from "vitest";
import { receiverForFile, sleep, testQStash } from "../support/qstash-receiver";

const receiver = receiverForFile();
const qstash = testQStash();


describe.concurrent("QStash dev server: schedules, flow control, queues and cancel", () => {
  it("fires a schedule on its cron (seconds field), lists it, and stops after delete", async () => {
    const { url, path } = receiver().route();
    const { scheduleId } = await qstash.schedules.create({ destination: url, cron: "* * * * * *", body: "tick", headers: { "x-kind": "cron" } });
    const schedule = await qstash.schedules.get(scheduleId);
    expect(schedule).toMatchObject({ scheduleId, cron: "* * * * * *", destination: url, isPaused: false, body: "tick" });
    expect((await qstash.schedules.list()).map((item) => item.scheduleId)).toContain(scheduleId);
    const [tick] = await receiver().waitFor(path, 1, 3000);
    expect(tick?.body).toBe("tick");
    expect(tick?.headers["upstash-schedule-id"]).toBe(scheduleId);
    expect(tick?.headers["x-kind"]).toBe("cron");
    await qstash.schedules.delete(scheduleId);
    await sleep(500); // a tick already published before the delete may still land
    const afterDelete = receiver().deliveriesTo(path).length;
    await sleep(1200);
    expect(receiver().deliveriesTo(path)).toHaveLength(afterDelete);
    await expect(qstash.schedules.get(scheduleId)).rejects.toMatchObject({ status: 404 });
  });

  it("refuses an invalid cron expression", async () => {
    const { url } = receiver().route();
    await expect(qstash.schedules.create({ destination: url, cron: "every minute" })).rejects.toMatchObject({ status: 400 });
  });

  it("never overlaps two deliveries of a flow-control key with parallelism 1", async () => {
    const { url, path } = receiver().route(() => ({ status: 200, delayMs: 40 }));
    const flowControl = { key: `fc-${path.slice(1)}`, parallelism: 1 };
    await Promise.all(Array.from({ length: 6 }, (_, index) => qstash.publishJSON({ url, body: { index }, flowControl })));
    const deliveries = await receiver().waitFor(path, 6);
    expect(new Set(deliveries.map((delivery) => JSON.parse(delivery.body).index))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(receiver().maxConcurrent(path)).toBe(1);
  });

  it("delivers a key's messages in parallel up to its parallelism, not beyond", async () => {
    const { url, path } = receiver().route(() => ({ status: 200, delayMs: 200 }));
    const flowControl = { key: `fc-${path.slice(1)}`, parallelism: 3 };
    // One batch, so that all nine are due together and the limit, not the arrival, decides the overlap.
    await qstash.batchJSON(Array.from({ length: 9 }, (_, index) => ({ url, body: { index }, flowControl })));
    await receiver().waitFor(path, 9);
    expect(receiver().maxConcurrent(path)).toBe(3);
    expect(await qstash.flowControl.get(flowControl.key)).toMatchObject({ flowControlKey: flowControl.key, parallelismMax: 3, waitListSize: 0 });
  });

  it("holds back deliveries beyond a flow-control rate until the next period", async () => {
    const { url, path } = receiver().route();
    // A period far longer than the test: the third message can only be waiting for the next one.
    const flowControl = { key: `rate-${path.slice(1)}`, rate: 2, period: 60 };
    const published = await Promise.all([0, 1, 2].map((index) => qstash.publishJSON({ url, body: { index }, flowControl })));
    await receiver().waitFor(path, 2);
    await sleep(300);
    expect(receiver().deliveriesTo(path)).toHaveLength(2);
    expect(await qstash.flowControl.get(flowControl.key)).toMatchObject({ rateMax: 2, rateCount: 2, ratePeriod: 60 });
    const delivered = new Set(receiver().deliveriesTo(path).map((delivery) => delivery.headers["upstash-message-id"]));
    const held = published.filter((result) => !delivered.has(result.messageId));
    expect(held).toHaveLength(1);
    await expect(qstash.messages.cancel(published.map((result) => result.messageId))).resolves.toEqual({ cancelled: 1 });
  });

  it("holds a paused flow-control key until resumed, and a pinned parallelism overrides the messages'", async () => {
    const { url, path } = receiver().route(() => ({ status: 200, delayMs: 50 }));
    const key = `pause-${path.slice(1)}`;
    await qstash.flowControl.pause(key);
    await qstash.flowControl.pin(key, { parallelism: 1 });
    await qstash.batchJSON(Array.from({ length: 4 }, (_, n) => ({ url, body: { n }, flowControl: { key, parallelism: 4 } })));
    await sleep(300);
    expect(receiver().deliveriesTo(path)).toHaveLength(0);
    expect(await qstash.flowControl.get(key)).toMatchObject({ isPaused: true, isPinnedParallelism: true, parallelismMax: 1, waitListSize: 4 });
    await qstash.flowControl.resume(key);
    await receiver().waitFor(path, 4);
    expect(receiver().maxConcurrent(path)).toBe(1);
    await qstash.flowControl.unpin(key, { parallelism: true });
    expect(await qstash.flowControl.get(key)).toMatchObject({ isPaused: false, isPinnedParallelism: false, parallelismMax: 4 });
    expect((await qstash.flowControl.getGlobalParallelism()).parallelismMax).toBeGreaterThan(0);
  });

  it("never delivers a message canceled before its delivery time", async () => {
    const { url, path } = receiver().route();
    const kept = receiver().route();
    const { messageId } = await qstash.publishJSON({ url, body: { cancel: true }, delay: 2 });
    await qstash.publishJSON({ url: kept.url, body: { cancel: false }, delay: 2 });
    expect(await qstash.messages.get(messageId)).toMatchObject({ messageId, url });
    await expect(qstash.messages.cancel(messageId)).resolves.toEqual({ cancelled: 1 });
    await expect(qstash.messages.get(messageId)).rejects.toMatchObject({ status: 404 });
    expect((await qstash.logs({ filter: { messageId } })).logs.map((log) => log.state)).toEqual(["CANCELED", "CREATED"]);
    await receiver().waitFor(kept.path, 1, 5000);
    await sleep(200);
    expect(receiver().deliveriesTo(path)).toHaveLength(0);
  });

  it("cancels pending messages in bulk by filter", async () => {
    const { url, path } = receiver().route();
    const label = `bulk-${path.slice(1)}`;
    await Promise.all([1, 2, 3].map((n) => qstash.publishJSON({ url, body: { n }, delay: 2, label })));
    await expect(qstash.messages.cancel({ filter: { label } })).resolves.toEqual({ cancelled: 3 });
    await sleep(2300);
    expect(receiver().deliveriesTo(path)).toHaveLength(0);
  });

  it("delivers a queue's messages one at a time in order, and not while the queue is paused", async () => {
    const { url, path } = receiver().route(() => ({ status: 200, delayMs: 20 }));
    const queue = qstash.queue({ queueName: `q-${path.slice(1)}` });
    await queue.upsert({ parallelism: 1 });
    await queue.pause();
    for (const n of [1, 2, 3, 4]) await queue.enqueueJSON({ url, body: { n } });
    await sleep(300);
    expect(receiver().deliveriesTo(path)).toHaveLength(0);
    expect(await queue.get()).toMatchObject({ paused: true, parallelism: 1, lag: 4 });
    await queue.resume();
    const deliveries = await receiver().waitFor(path, 4);
    expect(deliveries.map((delivery) => JSON.parse(delivery.body).n)).toEqual([1, 2, 3, 4]);
    expect(receiver().maxConcurrent(path)).toBe(1);
    await queue.delete();
  });
});
