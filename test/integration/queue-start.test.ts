/**
 * The start of a worker invocation in one script call: the replay mark (QStash's replay guard), the
 * push epoch, the queue's figures before the claim, and the first batch at the queue's batch size.
 */
import { describe, expect, it } from "vitest";
import { replayMarkKey } from "../../src/queue/keys";
import { testRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

describe("queue core: startInvocation", () => {
  const { queue, prefix } = queueFixture();
  const redis = testRedis({ automaticDeserialization: false });
  const mark = (label: string) => ({ key: `${prefix}:replay:${label}-${queueName()}`, value: "msg_1", ttlMs: 60_000 });

  it("claims the queue's batch size, with the figures from before the claim and the push epoch advanced", async () => {
    const q = queueName("start");
    await queue.enqueue(q, Array.from({ length: 5 }, (_, n) => ({ fn: "f", input: n })));
    await queue.updateSettings(q, { batchSize: 3, maxParallel: 7 });
    const first = await queue.startInvocation(q);
    if (first.kind !== "started") throw new Error(`expected a start, got ${first.kind}`);
    expect(first.claimed.map((task) => task.input)).toEqual([0, 1, 2]);
    expect(first.summary.counts).toMatchObject({ queued: 5, running: 0, enqueued: 5 });
    expect(first.summary.settings).toMatchObject({ batchSize: 3, maxParallel: 7, paused: false });
    expect(first.pushEpoch).toBe(1);
    // The claim is a real one: its lease tokens settle the tasks.
    const outcomes = await queue.complete(q, first.claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: "ok" })));
    expect(outcomes.map((o) => o.outcome)).toEqual(["succeeded", "succeeded", "succeeded"]);
    const second = await queue.startInvocation(q);
    expect(second).toMatchObject({ kind: "started", pushEpoch: 2, summary: { counts: { queued: 2, succeeded: 3 } } });
  });

  it("claims nothing from a paused queue, and says so of a queue that does not exist", async () => {
    const q = queueName("paused");
    await queue.enqueue(q, [{ fn: "f", input: 1 }]);
    await queue.updateSettings(q, { paused: true });
    expect(await queue.startInvocation(q)).toMatchObject({ kind: "started", claimed: [], summary: { settings: { paused: true } } });
    expect((await queue.getQueue(q)).counts.queued).toBe(1);
    expect(await queue.startInvocation(queueName("never-made"))).toEqual({ kind: "missing" });
  });

  it("sets the replay mark first: a second start with it changes nothing, not even the epoch", async () => {
    const q = queueName("replay");
    await queue.enqueue(q, [{ fn: "f", input: 1 }, { fn: "f", input: 2 }]);
    await queue.updateSettings(q, { batchSize: 1 });
    const replayMark = mark("replay");
    expect(await queue.startInvocation(q, replayMark)).toMatchObject({ kind: "started", pushEpoch: 1, claimed: [{ input: 1 }] });
    // the mark lives under the queue's hash tag, beside the keys the start script touches
    const markKey = replayMarkKey(prefix, q, replayMark.key);
    expect(await redis.get(markKey)).toBe("msg_1");
    expect(await redis.pttl(markKey)).toBeGreaterThan(50_000);
    expect(await queue.startInvocation(q, replayMark)).toEqual({ kind: "replayed" });
    expect((await queue.getQueue(q)).counts).toMatchObject({ queued: 1, running: 1 });
    // Another mark (QStash's retry: a new jti) starts normally and finds the epoch unmoved by the replay.
    expect(await queue.startInvocation(q, mark("retry"))).toMatchObject({ kind: "started", pushEpoch: 2, claimed: [{ input: 2 }] });
  });

  it("keeps the mark of a delivery for a queue that does not exist, and refuses a bad mark", async () => {
    const replayMark = mark("missing");
    const gone = queueName("gone");
    expect(await queue.startInvocation(gone, replayMark)).toEqual({ kind: "missing" });
    expect(await queue.startInvocation(gone, replayMark)).toEqual({ kind: "replayed" });
    await expect(queue.startInvocation(queueName(), { ...replayMark, ttlMs: 0 })).rejects.toThrow(/ttlMs/);
    await expect(queue.startInvocation(queueName(), { ...replayMark, key: "" })).rejects.toThrow(/replayMark/);
  });
});
