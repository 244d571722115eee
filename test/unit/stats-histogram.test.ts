import { describe, expect, it } from "vitest";
import { addInto, BUCKETS, emptyHistogram, LATENCY_BOUNDS_MS, percentiles, quantile } from "../../src/queue/stats/histogram";

/** A histogram from durations, bucketed by the scripts' rule: the first bound at or above. */
function histogramOf(durations: number[]) {
  const h = emptyHistogram();
  for (const ms of durations) {
    const i = LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
    h.buckets[i < 0 ? BUCKETS - 1 : i]! += 1;
    h.count += 1;
    h.sumMs += ms;
  }
  return h;
}

describe("latency histograms", () => {
  it("interpolates a quantile inside its bucket, as histogram_quantile does", () => {
    // 100 observations in (10, 25] ms: the median sits halfway through that bucket
    const h = histogramOf(Array.from({ length: 100 }, () => 20));
    expect(quantile(h, 0.5)).toBe(17.5);
    expect(quantile(h, 0.99)).toBeCloseTo(24.85, 5);
  });

  it("finds the bucket by rank across buckets", () => {
    const h = histogramOf([...Array.from({ length: 90 }, () => 3), ...Array.from({ length: 10 }, () => 700)]);
    const p = percentiles(h);
    expect(p.p50).toBeGreaterThan(2);
    expect(p.p50).toBeLessThanOrEqual(5);
    expect(p.p95).toBeGreaterThan(500);
    expect(p.p95).toBeLessThanOrEqual(1_000);
    expect(p.meanMs).toBe(72.7);
    expect(p.count).toBe(100);
  });

  it("answers null without observations and the lower bound of the open last bucket", () => {
    expect(percentiles(emptyHistogram())).toEqual({ p50: null, p95: null, p99: null, count: 0, meanMs: null });
    const slow = histogramOf([10 * 60_000]);
    expect(quantile(slow, 0.5)).toBe(LATENCY_BOUNDS_MS.at(-1));
  });

  it("adds histograms bucket by bucket", () => {
    const total = emptyHistogram();
    addInto(total, histogramOf([1, 2]));
    addInto(total, histogramOf([2, 400]));
    expect(total.count).toBe(4);
    expect(total.sumMs).toBe(405);
    expect(total.buckets.slice(0, 2)).toEqual([1, 2]);
  });
});
