/**
 * Due delayed tasks promoted by a claim when no prioritized task waits are claimed at once rather than
 * written to the prioritized sets and read back (pieces/transitions.ts promoteDue, direct): the
 * order is the same as through the sets (higher priorities, then the ready lists, then priority 0
 * and below in due order), and what a claim leaves waits in the sets for the next.
 */
import { describe, expect, it } from "vitest";
import { queueKeyMap } from "../../src/queue/keys";
import { testRedis } from "../support/redis-client";
import { queueFixture, queueName } from "./queue-fixture";

describe("promotion into a claim", () => {
  const { queue, advance, prefix } = queueFixture();
  const raw = testRedis({ automaticDeserialization: false });

  const scenario = async (withPrioritized: boolean) => {
    const q = queueName();
    const ready = await queue.enqueue(q, [{ fn: "f", input: "r1" }, { fn: "f", input: "r2" }]);
    if (withPrioritized) await queue.enqueue(q, [{ fn: "f", input: "p2", priority: 2 }]);
    const inputs = [["d1", 0], ["d2", 3], ["d3", 0], ["d4", 5], ["d5", -1]] as const;
    for (const [input, priority] of inputs) {
      advance(1);
      await queue.enqueue(q, [{ fn: "f", input, priority, delayMs: 1_000 }]);
    }
    advance(1_000);
    const order: unknown[][] = [];
    for (let claimed = await queue.claim(q, 3); claimed.length > 0; claimed = await queue.claim(q, 3)) {
      order.push(claimed.map((t) => t.input));
      if (order.length === 1) {
        // what the first claim left waits as queued (in the prioritized sets or the ready list)
        expect((await queue.getQueue(q)).counts).toMatchObject({ queued: withPrioritized ? 5 : 4, delayed: 0, running: 3 });
      }
    }
    expect(ready.every((r) => !r.duplicate)).toBe(true);
    return { q, order };
  };

  it("claims due tasks at once when no prioritized task waits, in claim order, the rest next", async () => {
    const { q, order } = await scenario(false);
    expect(order).toEqual([["d4", "d2", "r1"], ["r2", "d1", "d3"], ["d5"]]);
    expect(await raw.zcard(queueKeyMap(prefix, q).prioritized)).toBe(0);
  });

  it("skips the prioritized index once a claim found it empty, until a prioritized task comes", async () => {
    const q = queueName();
    const meta = queueKeyMap(prefix, q).meta;
    await queue.enqueue(q, [{ fn: "f", input: "p", priority: 1 }, { fn: "f", input: "r" }]);
    expect((await queue.claim(q, 10)).map((t) => t.input)).toEqual(["p", "r"]);
    // the claim that emptied the index marked it: _pe is the sequence it saw (no flag to write at enqueues)
    const seq = await raw.hget<string>(meta, "_seq");
    expect(seq).toBeTruthy();
    expect(await raw.hget<string>(meta, "_pe")).toBe(seq);
    await queue.enqueue(q, [{ fn: "f", input: "r2" }, { fn: "f", input: "p2", priority: 2 }]);
    expect((await queue.claim(q, 10)).map((t) => t.input)).toEqual(["p2", "r2"]);
  });

  it("orders them the same through the prioritized sets when a prioritized task waits", async () => {
    const { order } = await scenario(true);
    expect(order).toEqual([["d4", "d2", "p2"], ["r1", "r2", "d1"], ["d3", "d5"]]);
  });
});
