/**
 * The long-poll's schedule of reads: quick at first, and within a Worker's subrequest budget for the
 * longest wait. The real pollUntil runs, on vitest's fake clock, so no test waits 30 s.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FIRST_INTERVAL_MS, MAX_INTERVAL_MS, nextInterval, pollUntil } from "../../src/http/long-poll";

beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "Date"] }));
afterEach(() => vi.useRealTimers());

/** How many reads pollUntil makes in `waitMs`: never done, or done once `doneAfterMs` have passed. */
async function readsFor(waitMs: number, doneAfterMs = Number.POSITIVE_INFINITY): Promise<number> {
  const start = Date.now();
  let reads = 0;
  const polled = pollUntil(async () => (reads++, Date.now() - start), (elapsed) => elapsed >= doneAfterMs, waitMs);
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
});
