import { describe, expect, it } from "vitest";
import { createBudget } from "../../src/runtime/budget";
import { mapConcurrently } from "../../src/runtime/concurrency";

function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("budget", () => {
  it("counts down the soft limit and never goes negative", () => {
    const clock = manualClock();
    const budget = createBudget({ softMs: 100, hardMs: 300 }, clock);
    expect(budget.remaining()).toBe(100);
    clock.advance(40);
    expect(budget.elapsed()).toBe(40);
    expect(budget.remaining()).toBe(60);
    expect(budget.untilHardLimit()).toBe(260);
    clock.advance(1_000);
    expect(budget.remaining()).toBe(0);
    expect(budget.untilHardLimit()).toBe(0);
  });

  it("allows another batch only when it would end before the soft limit", () => {
    const clock = manualClock();
    const budget = createBudget({ softMs: 100, hardMs: 100 }, clock);
    clock.advance(60);
    expect(budget.allows(40)).toBe(true);
    expect(budget.allows(41)).toBe(false);
    clock.advance(40);
    expect(budget.allows(0)).toBe(true);
    clock.advance(1);
    expect(budget.allows(0)).toBe(false);
  });

  it("stops allowing batches once maxBatches are spent, whatever the time left", () => {
    const budget = createBudget({ softMs: 10_000, hardMs: 10_000, maxBatches: 3 }, manualClock());
    budget.spendBatch();
    budget.spendBatch(1);
    expect(budget.allows(0)).toBe(true);
    expect(budget.batchesLeft()).toBe(1);
    budget.spendBatch();
    expect(budget.batches()).toBe(3);
    expect(budget.allows(0)).toBe(false);
    expect(createBudget({ softMs: 1, hardMs: 1 }, manualClock()).batchesLeft()).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses limits that make no sense", () => {
    expect(() => createBudget({ softMs: 200, hardMs: 100 })).toThrow(/softMs <= hardMs/);
    expect(() => createBudget({ softMs: -1, hardMs: 100 })).toThrow(RangeError);
  });
});

describe("mapConcurrently", () => {
  it("never runs more than the limit at once and keeps the input order", async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 25 }, (_, i) => i);
    const results = await mapConcurrently(items, 4, async (item) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Unequal waits, so that finishing order differs from input order.
      await new Promise((resolve) => setTimeout(resolve, (item * 7) % 5));
      inFlight--;
      return item * 2;
    });
    expect(results).toEqual(items.map((item) => item * 2));
    expect(peak).toBe(4);
  });

  it("handles fewer items than the limit, and none", async () => {
    expect(await mapConcurrently([1, 2], 10, async (n) => n + 1)).toEqual([2, 3]);
    expect(await mapConcurrently([], 3, async (n: number) => n)).toEqual([]);
  });

  it("refuses a limit below one", async () => {
    await expect(mapConcurrently([1], 0, async (n) => n)).rejects.toThrow(/concurrency limit/);
  });
});
