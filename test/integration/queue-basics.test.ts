import { describe, expect, it } from "vitest";
import { queueFixture, queueName } from "./queue-fixture";
import { taskIdOf } from "../../src/queue/ids";

describe("queue core: enqueue, claim, complete, get", () => {
  const { queue, advance, clock } = queueFixture({ defaults: { dedupWindowMs: 60_000 } });

  it("runs a task through its life: queued → running → succeeded, with the result readable by id", async () => {
    const q = queueName();
    const [created] = await queue.enqueue(q, [{ fn: "echo", input: { text: "hello", n: [1, 2.5, null] } }]);
    expect(created).toMatchObject({ status: "queued", duplicate: false });
    expect((await queue.get(created!.id))?.status).toBe("queued");

    const [task] = await queue.claim(q, 10);
    expect(task).toMatchObject({ id: created!.id, queue: q, fn: "echo", input: { text: "hello", n: [1, 2.5, null] }, attempt: 1 });
    expect(task!.leaseUntil).toBe(clock.now + 30_000);
    expect(await queue.get(task!.id)).toMatchObject({ status: "running", attempts: 1, startedAt: clock.now });

    advance(5);
    const outcomes = await queue.complete(q, [{ id: task!.id, leaseToken: task!.leaseToken, result: { ok: "é ☃ \u2028" } }]);
    expect(outcomes).toEqual([{ id: task!.id, outcome: "succeeded" }]);
    const record = await queue.get(task!.id);
    expect(record).toMatchObject({ status: "succeeded", result: { ok: "é ☃ \u2028" }, finishedAt: clock.now, queue: q });
    expect(record?.error).toBeUndefined();
    expect(await queue.claim(q, 10)).toEqual([]);
  });

  it("claims the highest priority first, FIFO within a priority, across batches", async () => {
    const q = queueName();
    const spec = [0, 5, -3, 0, 5, 1000, -1000, 0, 1, -3];
    const first = await queue.enqueue(q, spec.slice(0, 5).map((priority, i) => ({ fn: "f", input: i, priority })));
    const second = await queue.enqueue(q, spec.slice(5).map((priority, i) => ({ fn: "f", input: i + 5, priority })));
    const ids = [...first, ...second].map((r) => r.id);
    const order = [5, 1, 4, 8, 0, 3, 7, 2, 9, 6]; // by priority desc, then enqueue order
    const claimed = [...(await queue.claim(q, 3)), ...(await queue.claim(q, 4)), ...(await queue.claim(q, 10))];
    expect(claimed.map((t) => t.id)).toEqual(order.map((i) => ids[i]));
    expect((await queue.get(ids[5]!))?.priority).toBe(1000);
  });

  it("keeps FIFO order for caller-given ids that do not sort in enqueue order", async () => {
    const q = queueName();
    await queue.enqueue(q, ["zz", "aa", "mm"].map((s) => ({ fn: "f", input: s, id: `${q}-${s}`, priority: 2 })));
    await queue.enqueue(q, ["zz", "aa"].map((s) => ({ fn: "f", input: s, id: `${q}-p0-${s}` })));
    expect((await queue.claim(q, 5)).map((t) => t.input)).toEqual(["zz", "aa", "mm", "zz", "aa"]);
  });

  it("holds delayed tasks until their time (delayMs and runAt), then promotes them on claim", async () => {
    const q = queueName();
    const [later, sooner, past] = await queue.enqueue(q, [
      { fn: "f", input: "later", delayMs: 2_000 },
      { fn: "f", input: "sooner", runAt: clock.now + 1_000 },
      { fn: "f", input: "past", runAt: clock.now - 1 },
    ]);
    expect([later!.status, sooner!.status, past!.status]).toEqual(["delayed", "delayed", "queued"]);
    expect((await queue.get(later!.id))?.runAt).toBe(clock.now + 2_000);
    expect((await queue.claim(q, 10)).map((t) => t.input)).toEqual(["past"]);
    advance(999);
    expect(await queue.claim(q, 10)).toEqual([]);
    advance(1);
    expect((await queue.claim(q, 10)).map((t) => t.input)).toEqual(["sooner"]);
    advance(1_000);
    expect((await queue.getQueue(q)).counts).toMatchObject({ delayed: 1, queued: 0, running: 2 });
    const up = await queue.upkeep(q);
    expect(up).toMatchObject({ promoted: 1, requeued: 0, dead: 0, more: false });
    expect((await queue.getQueue(q)).counts).toMatchObject({ delayed: 0, queued: 1 });
    expect((await queue.claim(q, 10)).map((t) => t.input)).toEqual(["later"]);
  });

  it("a delayed task with a priority keeps it once due", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: "plain" }, { fn: "f", input: "urgent-later", delayMs: 10, priority: 9 }]);
    advance(10);
    expect((await queue.claim(q, 10)).map((t) => t.input)).toEqual(["urgent-later", "plain"]);
  });

  it("returns the first task for a repeated dedupKey within the window, and creates a new one after it", async () => {
    const q = queueName();
    const [a] = await queue.enqueue(q, [{ fn: "f", input: 1, dedupKey: "order|42\n%" }]);
    const [b, c] = await queue.enqueue(q, [
      { fn: "f", input: 2, dedupKey: "order|42\n%" },
      { fn: "f", input: 3, dedupKey: "other" },
    ]);
    expect(b).toEqual({ id: a!.id, status: "queued", duplicate: true });
    expect(c!.duplicate).toBe(false);
    expect((await queue.get(a!.id))?.dedupKey).toBe("order|42\n%");
    // the same key twice in one batch
    const [d, e] = await queue.enqueue(q, [{ fn: "f", input: 4, dedupKey: "batch" }, { fn: "f", input: 5, dedupKey: "batch" }]);
    expect(e).toMatchObject({ id: d!.id, duplicate: true });
    expect((await queue.getQueue(q)).counts.enqueued).toBe(3);

    advance(60_000);
    const [again] = await queue.enqueue(q, [{ fn: "f", input: 6, dedupKey: "order|42\n%" }]);
    expect(again).toMatchObject({ duplicate: false });
    expect(again!.id).not.toBe(a!.id);
  });

  it("treats an existing caller-given id as a duplicate, in another call or the same batch", async () => {
    const q = queueName();
    const given = `${q}-fixed`;
    // the task's id names its queue: `<queue>~<given>`, whichever of the two the caller sends
    const id = taskIdOf(q, given);
    const [first, inBatch] = await queue.enqueue(q, [{ fn: "f", input: 1, id: given }, { fn: "f", input: 2, id }]);
    expect(first).toEqual({ id, status: "queued", duplicate: false });
    expect(inBatch).toEqual({ id, status: "queued", duplicate: true });
    await queue.claim(q, 1);
    expect(await queue.enqueue(q, [{ fn: "f", input: 3, id: given }])).toEqual([{ id, status: "running", duplicate: true }]);
    expect((await queue.get(id))?.input).toBe(1);
  });

  it("claims nothing from a paused queue and resumes where it was", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1 }, { fn: "f", input: 2 }]);
    expect((await queue.updateSettings(q, { paused: true })).paused).toBe(true);
    expect(await queue.claim(q, 10)).toEqual([]);
    expect((await queue.getQueue(q)).counts.queued).toBe(2);
    await queue.updateSettings(q, { paused: false });
    expect((await queue.claim(q, 10)).map((t) => t.input)).toEqual([1, 2]);
  });

  it("generates sortable ids and accepts thousands of tasks in one call", async () => {
    const q = queueName();
    const results = await queue.enqueue(q, Array.from({ length: 3_000 }, (_, i) => ({ fn: "f", input: i })));
    const ids = results.map((r) => r.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(3_000);
    const claimed = await queue.claim(q, 2_500);
    expect(claimed.map((t) => t.input)).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    const done = await queue.complete(q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
    expect(done.every((o) => o.outcome === "succeeded")).toBe(true);
    const records = await queue.getMany(ids.slice(2_499, 2_501));
    expect(records.map((r) => r?.status)).toEqual(["succeeded", "queued"]);
  });

  it("get and getMany answer null for unknown ids", async () => {
    expect(await queue.get("no-such-task")).toBeNull();
    expect(await queue.getMany(["no-such-task", "nor-this"])).toEqual([null, null]);
  });
});
