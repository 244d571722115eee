/**
 * The latency histograms the scripts keep: a count per log-scale bucket (1-2-5 steps, the same
 * bounds Prometheus users expect), so percentiles cost a few dozen integers per queue and minute
 * instead of one sample per task. Bucket i (1-based, as in Lua) holds durations in
 * (BOUNDS[i-1], BOUNDS[i]] ms; the last one, BUCKETS, everything above the largest bound.
 */

/** Upper bounds in ms. Changing them changes what stored buckets mean: only ever append. */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000] as const;
export const BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** Counts per bucket, index 0 = bucket 1; `sumMs` and `count` over everything observed. */
export interface Histogram {
  buckets: number[];
  sumMs: number;
  count: number;
}

export function emptyHistogram(): Histogram {
  return { buckets: new Array<number>(BUCKETS).fill(0), sumMs: 0, count: 0 };
}

export function addInto(target: Histogram, other: Histogram): void {
  other.buckets.forEach((n, i) => (target.buckets[i]! += n));
  target.sumMs += other.sumMs;
  target.count += other.count;
}

/**
 * The q-quantile (0 < q < 1) in ms, interpolated linearly inside its bucket, as Prometheus'
 * histogram_quantile does; null without observations. The open last bucket answers its lower bound.
 */
export function quantile(h: Histogram, q: number): number | null {
  const total = h.buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < h.buckets.length; i++) {
    const n = h.buckets[i]!;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i];
      if (upper === undefined) return lower;
      return Math.round((lower + (upper - lower) * ((rank - seen) / n)) * 100) / 100;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Observations behind the figures. */
  count: number;
  meanMs: number | null;
}

export function percentiles(h: Histogram): Percentiles {
  return {
    p50: quantile(h, 0.5),
    p95: quantile(h, 0.95),
    p99: quantile(h, 0.99),
    count: h.count,
    meanMs: h.count === 0 ? null : Math.round((h.sumMs / h.count) * 100) / 100,
  };
}
