/** The long-poll's schedule of reads: quick at first, and within a Worker's subrequest budget for the longest wait. */
import { describe, expect, it } from "vitest";
import { FIRST_INTERVAL_MS, MAX_INTERVAL_MS, nextInterval } from "../../src/http/long-poll";

/** How many reads pollUntil makes when the task never finishes within `waitMs` (the first read is at once). */
function readsFor(waitMs: number): number {
  let reads = 1;
  let waited = 0;
  for (let interval = FIRST_INTERVAL_MS; waited < waitMs; interval = nextInterval(interval)) {
    waited += Math.min(interval, waitMs - waited);
    reads++;
  }
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

  it("stays under the 50 subrequests of a Worker invocation for the longest wait (30 s)", () => {
    expect(readsFor(30_000)).toBeLessThan(50);
    expect(readsFor(30_000)).toBe(29);
    // A task finishing 50 ms after the request is seen by the fifth read, about 75 ms in.
    expect(readsFor(50)).toBeLessThanOrEqual(6);
  });
});
