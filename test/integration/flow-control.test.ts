import { describe, expect, it } from "vitest";
import type { ClaimedTask, EnqueueRequest } from "../../src/queue/types";
import { queueFixture, queueName } from "./queue-fixture";

const keyed = (key: string, n: number, flow: Omit<NonNullable<EnqueueRequest["flowControl"]>, "key"> = {}, extra: Partial<EnqueueRequest> = {}) =>
  Array.from({ length: n }, (_, i): EnqueueRequest => ({ fn: "f", input: { key, i }, flowControl: { key, ...flow }, ...extra }));

const keysOf = (tasks: ClaimedTask[]) => tasks.map((t) => (t.input as { key: string }).key);
const done = (tasks: ClaimedTask[]) => tasks.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null }));

describe("flow control: per-key parallelism and rate, round-robin across keys", () => {
  const { queue, advance } = queueFixture({ defaults: { leaseMs: 10_000, maxAttempts: 3 } });

  it("claims round-robin across keys: a key with one task is not behind another's backlog", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("big", 300, { parallelism: 1000 }));
    await queue.enqueue(q, keyed("small", 1, { parallelism: 1000 }));
    const first = await queue.claim(q, 4);
    expect(keysOf(first)).toContain("small");
  });

  it("a key that arrives while another's backlog drains takes turns with it from the current round on", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("big", 300, { parallelism: 1000 }));
    const drained = await queue.claim(q, 200);
    expect(new Set(keysOf(drained))).toEqual(new Set(["big"]));
    // neither behind big's remaining 100 nor (entering at round 1) ahead of all of them
    await queue.enqueue(q, keyed("late", 50, { parallelism: 1000 }));
    expect(keysOf(await queue.claim(q, 10)).sort()).toEqual([...Array(5).fill("big"), ...Array(5).fill("late")]);
  });

  it("takes turns across partitions: a key arriving in a later partition is not behind the leading one's backlog", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("big", 300, { parallelism: 1000 }));
    expect(new Set(keysOf(await queue.claim(q, 10)))).toEqual(new Set(["big"]));
    // later ids fall in another partition (a 32 ms step): the claims merge both in round order
    advance(40);
    await queue.enqueue(q, keyed("late", 3, { parallelism: 1000 }));
    advance(40);
    await queue.enqueue(q, keyed("later", 1, { parallelism: 1000 }));
    const next = keysOf(await queue.claim(q, 6)).sort();
    expect(next).toEqual(["big", "big", "big", "late", "late", "later"]);
  });

  it("never runs more than parallelism tasks of a key; a settle frees the slot and the held task comes next", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("a", 5, { parallelism: 2 }));
    const first = await queue.claim(q, 10);
    expect(first).toHaveLength(2);
    expect(await queue.claim(q, 10)).toHaveLength(0);
    const { nextDueAt, claimed } = await queue.settleAndClaim(q, { completions: done(first.slice(0, 1)), failures: [] }, 0);
    expect(claimed).toHaveLength(0);
    // the freed slot asks for a push (the caller's delayed push for that second)
    expect(nextDueAt).not.toBeNull();
    const second = await queue.claim(q, 10);
    expect(second).toHaveLength(1);
    expect((second[0]!.input as { i: number }).i).toBe(2);
  });

  it("an expired lease frees its slot at once, before upkeep reclaims the task", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("a", 3, { parallelism: 1 }));
    const [first] = await queue.claim(q, 10);
    expect(await queue.claim(q, 10)).toHaveLength(0);
    advance(10_000);
    const [second] = await queue.claim(q, 10);
    expect(second).toBeDefined();
    expect(second!.id).not.toBe(first!.id);
  });

  it("starts at most rate tasks of a key in any window of period, and says when the next may start", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("r", 10, { rate: 3, periodMs: 1_000 }));
    const first = await queue.claim(q, 10);
    expect(first).toHaveLength(3);
    const { nextDueAt } = await queue.settleAndClaim(q, { completions: done(first), failures: [] }, 10);
    expect(nextDueAt).not.toBeNull();
    advance(999);
    expect(await queue.claim(q, 10)).toHaveLength(0);
    advance(1);
    expect(await queue.claim(q, 10)).toHaveLength(3);
  });

  it("a retry goes back to its key's turn and counts again", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("a", 2, { parallelism: 1 }));
    const [task] = await queue.claim(q, 10);
    const [outcome] = await queue.fail(q, [{ id: task!.id, leaseToken: task!.leaseToken, error: "boom", retryable: true }]);
    expect(outcome!.outcome).toBe("retrying");
    // the failure freed the slot: the other task runs; the retry waits for its backoff
    const [other] = await queue.claim(q, 10);
    expect(other!.id).not.toBe(task!.id);
    advance(60_000);
    await queue.complete(q, done([other!]));
    const [again] = await queue.claim(q, 10);
    expect(again).toMatchObject({ id: task!.id, attempt: 2 });
  });

  it("a delayed keyed task, and a dead one retried, join their key's turn under its limits", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("a", 3, { parallelism: 1 }, { delayMs: 1_000 }));
    expect(await queue.claim(q, 10)).toHaveLength(0);
    advance(1_000);
    const [first] = await queue.claim(q, 10);
    expect(await queue.claim(q, 10)).toHaveLength(0);
    await queue.fail(q, [{ id: first!.id, leaseToken: first!.leaseToken, error: "no", retryable: false }]);
    expect(await queue.retryDead(q)).toBe(1);
    const next = await queue.claim(q, 10);
    expect(next).toHaveLength(1);
    expect(await queue.claim(q, 10)).toHaveLength(0);
  });

  it("keeps tasks without a key in one lane that takes its turn like a key", async () => {
    const q = queueName();
    await queue.enqueue(q, Array.from({ length: 50 }, (_, i) => ({ fn: "f", input: { key: "-", i } })));
    await queue.enqueue(q, keyed("a", 50, { parallelism: 100 }));
    const claimed = await queue.claim(q, 20);
    const counts = keysOf(claimed).reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});
    expect(counts).toEqual({ "-": 10, a: 10 });
  });

  it("at claims smaller than a round the lane without a key takes one turn a round, not every claim", async () => {
    const q = queueName();
    await queue.enqueue(q, Array.from({ length: 10 }, (_, i) => ({ fn: "f", input: { key: "-", i } })));
    await queue.enqueue(q, [...keyed("a", 10, { parallelism: 100 }), ...keyed("b", 10, { parallelism: 100 })]);
    const order: string[] = [];
    for (let i = 0; i < 9; i++) order.push(...keysOf(await queue.claim(q, 1)));
    // three lanes, each once in every three claims (the lane's turn comes once a keyed round began)
    expect(order).toEqual(["a", "-", "b", "a", "-", "b", "a", "-", "b"]);
  });

  it("counts held tasks as queued: a task held back by its key's limit still waits", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("a", 6, { parallelism: 2 }));
    expect(await queue.claim(q, 10)).toHaveLength(2);
    expect(await queue.flowTotals(q)).toMatchObject({ held: 4 });
    expect((await queue.getQueue(q)).counts).toMatchObject({ queued: 4, running: 2 });
  });

  it("the latest enqueued task's limits win for its key", async () => {
    const q = queueName();
    await queue.enqueue(q, keyed("a", 4, { parallelism: 1 }));
    expect(await queue.claim(q, 10)).toHaveLength(1);
    await queue.enqueue(q, keyed("a", 1, { parallelism: 3 }));
    expect(await queue.claim(q, 10)).toHaveLength(2);
  });

  it("cancel, pause and priorities work with keyed tasks", async () => {
    const q = queueName();
    const [low, high] = await queue.enqueue(q, [...keyed("a", 1, { parallelism: 5 }), ...keyed("a", 1, { parallelism: 5 }, { priority: 5 })]);
    const [canceled] = await queue.enqueue(q, keyed("b", 1, { parallelism: 5 }));
    expect(await queue.cancel([canceled!.id])).toEqual([canceled!.id]);
    await queue.updateSettings(q, { paused: true });
    expect(await queue.claim(q, 10)).toHaveLength(0);
    await queue.updateSettings(q, { paused: false });
    const claimed = await queue.claim(q, 10);
    expect(claimed.map((t) => t.id)).toEqual([high!.id, low!.id]);
  });

  it("a canceled keyed task leaves the queued count at once, waiting, promoted or held, and its claim does not count it out twice", async () => {
    const q = queueName();
    const queued = async () => (await queue.getQueue(q)).counts.queued;
    const [a, b, c] = await queue.enqueue(q, keyed("a", 3, { parallelism: 100 }));
    const [late] = await queue.enqueue(q, keyed("a", 1, { parallelism: 100 }, { delayMs: 1_000 }));
    expect(await queued()).toBe(3);
    expect(await queue.cancel([a!.id])).toEqual([a!.id]);
    expect(await queued()).toBe(2);
    advance(1_500);
    // promotes the due task into its key's turn; the one entry it pops is the canceled task's
    expect(await queue.claim(q, 1)).toHaveLength(0);
    expect(await queued()).toBe(3);
    // promoted (its record still "d"), in its key's flow queue: out of the count at once
    expect(await queue.cancel([late!.id])).toEqual([late!.id]);
    expect(await queued()).toBe(2);
    expect((await queue.claim(q, 10)).map((t) => t.id).sort()).toEqual([b!.id, c!.id].sort());
    // a count the claims took out twice would leave this one uncounted
    await queue.enqueue(q, keyed("a", 1, { parallelism: 100 }));
    expect(await queued()).toBe(1);

    // held back by its key's limit
    const h = queueName();
    const [first, second, third] = await queue.enqueue(h, keyed("one", 3, { parallelism: 1 }));
    const running = await queue.claim(h, 10);
    expect(running.map((t) => t.id)).toEqual([first!.id]);
    expect((await queue.getQueue(h)).counts.queued).toBe(2);
    expect(await queue.cancel([second!.id])).toEqual([second!.id]);
    expect((await queue.getQueue(h)).counts.queued).toBe(1);
    await queue.complete(h, done(running));
    // the freed slot's turn may go to the canceled held task (dropped): the live one comes next
    const claimed = await queue.claim(h, 10);
    if (claimed.length === 0) claimed.push(...(await queue.claim(h, 10)));
    expect(claimed.map((t) => t.id)).toEqual([third!.id]);
    expect((await queue.getQueue(h)).counts.queued).toBe(0);
    await queue.enqueue(h, keyed("one", 1, { parallelism: 1 }));
    expect((await queue.getQueue(h)).counts.queued).toBe(1);
  });

  it("refuses a bad flowControl naming the field, and stores nothing", async () => {
    const q = queueName();
    const bad: [unknown, string][] = [
      [{ key: "" }, "tasks[0].flowControl.key"],
      [{ key: "a" }, "tasks[0].flowControl.parallelism"],
      [{ key: "a", parallelism: 0 }, "tasks[0].flowControl.parallelism"],
      [{ key: "a", rate: 1.5 }, "tasks[0].flowControl.rate"],
      [{ key: "a", rate: 1, periodMs: 3_600_001 }, "tasks[0].flowControl.period"],
      [{ key: "a", parallelism: 1, extra: 1 }, "tasks[0].flowControl.extra"],
    ];
    for (const [flowControl, field] of bad) {
      await expect(queue.enqueue(q, [{ fn: "f", input: 1, flowControl } as EnqueueRequest])).rejects.toMatchObject({ field });
    }
    await expect(queue.getQueue(q)).rejects.toMatchObject({ name: "QueueNotFoundError" });
  });
});
