import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flowControlKey, MAX_DELAYED_PUSHES, pushesWanted, pushRequests, delayedPushRequests } from "../../src/runtime/autoscale";
import { workUrl } from "../../src/runtime/publisher";

const view = { queued: 0, running: 0, batchSize: 100, maxParallel: 8, paused: false };

describe("autoscaling decision", () => {
  it("publishes nothing without backlog or when paused", () => {
    expect(pushesWanted(view)).toBe(0);
    expect(pushesWanted({ ...view, queued: 5_000, paused: true })).toBe(0);
  });

  it("asks for one invocation per batch of backlog, up to maxParallel", () => {
    expect(pushesWanted({ ...view, queued: 1 })).toBe(1);
    expect(pushesWanted({ ...view, queued: 250 })).toBe(3);
    expect(pushesWanted({ ...view, queued: 100_000 })).toBe(8);
  });

  it("counts invocations already busy, but always keeps one successor while backlog remains", () => {
    expect(pushesWanted({ ...view, queued: 100_000, running: 300 })).toBe(5);
    expect(pushesWanted({ ...view, queued: 100_000, running: 800 })).toBe(1);
    expect(pushesWanted({ ...view, queued: 100_000, running: 5_000 })).toBe(1);
  });

  it("asked by an invocation that claims again, wants others only for the backlog past its own next batch", () => {
    // a stream of single enqueues always leaves a few tasks queued: none of them is worth a second invocation
    expect(pushesWanted({ ...view, queued: 40, running: 100 }, true)).toBe(0);
    expect(pushesWanted({ ...view, queued: 100, running: 100 }, true)).toBe(0);
    expect(pushesWanted({ ...view, queued: 101, running: 100 }, true)).toBe(1);
    expect(pushesWanted({ ...view, queued: 100_000, running: 100 }, true)).toBe(7);
    // the invocations busy already (itself among them) fill maxParallel
    expect(pushesWanted({ ...view, queued: 100_000, running: 800 }, true)).toBe(0);
  });

  it("stays within [1, maxParallel] with backlog and at 0 without, for any counts", () => {
    const views = fc.record({
      queued: fc.integer({ min: 0, max: 10_000_000 }),
      running: fc.integer({ min: 0, max: 10_000_000 }),
      batchSize: fc.integer({ min: 1, max: 1_000 }),
      maxParallel: fc.integer({ min: 1, max: 1_000 }),
      paused: fc.boolean(),
    });
    fc.assert(
      fc.property(views, (v) => {
        const n = pushesWanted(v);
        if (v.paused || v.queued === 0) return n === 0;
        return Number.isInteger(n) && n >= 1 && n <= v.maxParallel && n <= Math.ceil(v.queued / v.batchSize);
      }),
    );
  });
});

describe("push requests", () => {
  const minute = 29_000_000;
  const at = (epoch: number, secondsIn = 0) => ({ epoch, now: minute * 60_000 + secondsIn * 1_000 });

  it("share dedup ids per queue, minute and epoch, one per slot below maxParallel", () => {
    const pushes = pushRequests("images", at(41), 3, 4);
    expect(pushes).toEqual([
      { queue: "images", deduplicationId: `images.${minute}.41.0`, parallelism: 4 },
      { queue: "images", deduplicationId: `images.${minute}.41.1`, parallelism: 4 },
      { queue: "images", deduplicationId: `images.${minute}.41.2`, parallelism: 4 },
    ]);
    // A later call under the same epoch repeats the same ids, which QStash drops as duplicates.
    const later = pushRequests("images", at(41, 59), 2, 4).map((p) => p.deduplicationId);
    expect(later).toEqual([`images.${minute}.41.0`, `images.${minute}.41.1`]);
    expect(pushRequests("images", at(42), 1, 4)[0]?.deduplicationId).toBe(`images.${minute}.42.0`);
    expect(pushRequests("images", at(41, 60), 1, 4)[0]?.deduplicationId).toBe(`images.${minute + 1}.41.0`);
    expect(pushRequests("other", at(41), 1, 4)[0]?.deduplicationId).toBe(`other.${minute}.41.0`);
  });

  it("never exceed maxParallel ids", () => {
    expect(pushRequests("q", at(1), 50, 3)).toHaveLength(3);
    expect(pushRequests("q", at(1), 0, 3)).toEqual([]);
  });

  it("target the work route and a per-queue flow-control key", () => {
    expect(workUrl("https://edgeq.example.workers.dev/")).toBe("https://edgeq.example.workers.dev/v1/work");
    expect(workUrl("http://127.0.0.1:8787")).toBe("http://127.0.0.1:8787/v1/work");
    expect(flowControlKey("thumbs_2")).toBe("edgeq.thumbs_2");
    expect(flowControlKey("a")).not.toBe(flowControlKey("b"));
  });
});

describe("delayed pushes", () => {
  it("one per distinct second (rounded up, so the tasks are due), shared by id", () => {
    const pushes = delayedPushRequests("mail", [10_200, 10_900, 12_000, 10_001], 4);
    expect(pushes).toEqual([
      { queue: "mail", deduplicationId: "mail.at.11", parallelism: 4, notBefore: 11 },
      { queue: "mail", deduplicationId: "mail.at.12", parallelism: 4, notBefore: 12 },
    ]);
    expect(delayedPushRequests("mail", [], 4)).toEqual([]);
  });

  it("caps the count but always keeps the latest second, which covers those left out", () => {
    const times = Array.from({ length: 40 }, (_, n) => 1_000_000 + n * 1_000);
    const seconds = delayedPushRequests("q", times.reverse(), 2).map((push) => push.notBefore);
    expect(seconds).toHaveLength(MAX_DELAYED_PUSHES);
    expect(seconds.slice(0, -1)).toEqual([1_000, 1_001, 1_002, 1_003]);
    expect(seconds.at(-1)).toBe(1_039);
  });
});
