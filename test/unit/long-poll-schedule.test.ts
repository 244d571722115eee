/**
 * The long-poll's schedule of reads: quick at first, and within a Worker's subrequest budget for the
 * longest wait. The real pollUntil runs, on vitest's fake clock, so no test waits 30 s.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FIRST_INTERVAL_MS, MAX_INTERVAL_MS, nextInterval, pollUntil } from "../../src/http/long-poll";

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "Date"] }));
afterEach(() => vi.useRealTimers());

/**
 * How many reads pollUntil makes in `waitMs`: never done, or done once `doneAfterMs` have passed;
 * with `readyAfterMs`, a subscription that becomes active then.
 */
async function readsFor(waitMs: number, doneAfterMs = Number.POSITIVE_INFINITY, readyAfterMs?: number): Promise<number> {
  const start = Date.now();
  let reads = 0;
  const ready = readyAfterMs === undefined ? undefined : new Promise<void>((resolve) => setTimeout(resolve, readyAfterMs));
  const polled = pollUntil(async () => (reads++, Date.now() - start), (elapsed) => elapsed >= doneAfterMs, waitMs, undefined, FIRST_INTERVAL_MS, undefined, undefined, ready);
  await vi.runAllTimersAsync();
  await polled;
  return reads;
}

describe("long-poll schedule", () => {
  it("reads again within a few milliseconds, then doubles the interval up to its cap", () => {
    const intervals = [FIRST_INTERVAL_MS];
    while (intervals.length < 12) intervals.push(nextInterval(intervals[intervals.length - 1]!));
    expect(intervals.slice(0, 4)).toEqual([5, 10, 20, 40]);
    expect(intervals.at(-1)).toBe(MAX_INTERVAL_MS);
    for (let i = 1; i < intervals.length; i++) expect(intervals[i]).toBeGreaterThanOrEqual(intervals[i - 1]!);
  });

  it("stays under the 50 subrequests of a Worker invocation for the longest wait (30 s)", async () => {
    const reads = await readsFor(30_000);
    expect(reads).toBeLessThan(50);
    expect(reads).toBe(29);
    // A task finishing 50 ms after the request is seen by the fifth read, 75 ms in.
    expect(await readsFor(30_000, 50)).toBe(5);
  });

  it("reads once more when the subscription is active, then only every 1.5 s: wake-ups do the rest", async () => {
    // before 100 ms: reads at 0, 5, 15, 35, 75; at 100 the read that catches an earlier completion;
    // then 1,600, 3,100 … 28,600 (19 reads), and the last at the wait's end
    expect(await readsFor(30_000, Number.POSITIVE_INFINITY, 100)).toBe(5 + 1 + 19 + 1);
    // a subscription active at once: fewer reads than the 29 of timed reads alone
    expect(await readsFor(30_000, Number.POSITIVE_INFINITY, 0)).toBeLessThan(await readsFor(30_000));
    // and a task finishing 50 ms in is seen as quickly as without a subscription (the fifth read)
    expect(await readsFor(30_000, 50, 1_000)).toBe(5);
  });
});
