/**
 * A mergeable quantile sketch (the DDSketch idea): values fall into logarithmic bins whose bounds
 * grow by GAMMA, so any quantile it returns is within RELATIVE_ACCURACY (1%) of the exact value at
 * that rank, and two sketches merge by adding bin counts: fold order cannot change the answer.
 * About 550 bins cover 1 ms to 1 minute.
 */

export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

export interface Sketch {
  count: number;
  /** Values of 0 (or below): they have no logarithm. */
  zeros: number;
  /** Bin k holds the values in (GAMMA^(k-1), GAMMA^k]. */
  bins: Record<string, number>;
}

export const emptySketch = (): Sketch => ({ count: 0, zeros: 0, bins: {} });

export function addToSketch(sketch: Sketch, value: number): void {
  sketch.count++;
  if (value <= 0) {
    sketch.zeros++;
    return;
  }
  const bin = Math.ceil(Math.log(value) / LOG_GAMMA);
  sketch.bins[bin] = (sketch.bins[bin] ?? 0) + 1;
}

export function mergeSketches(into: Sketch, from: Sketch): Sketch {
  into.count += from.count;
  into.zeros += from.zeros;
  for (const [bin, n] of Object.entries(from.bins)) into.bins[bin] = (into.bins[bin] ?? 0) + n;
  return into;
}

/** The value at rank ⌈q·count⌉ within 1%, rounded to 0.01; null for an empty sketch. */
export function sketchQuantile(sketch: Sketch, q: number): number | null {
  if (sketch.count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sketch.count));
  if (rank <= sketch.zeros) return 0;
  let seen = sketch.zeros;
  const bins = Object.keys(sketch.bins).map(Number).sort((a, b) => a - b);
  for (const bin of bins) {
    seen += sketch.bins[bin]!;
    // The bin's midpoint in relative terms: at most RELATIVE_ACCURACY from any value in it.
    if (seen >= rank) return Math.round(((2 * GAMMA ** bin) / (GAMMA + 1)) * 100) / 100;
  }
  return null;
}
