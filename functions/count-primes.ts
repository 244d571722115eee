import { z } from "zod";
import { checkpoint, defineFunction } from "../src/runtime/index";

/** Numbers sieved between two checkpoints: a few milliseconds of work. */
const SEGMENT = 1 << 18;
const MAX_SPAN = 50_000_000;
// Keeps the base primes (up to sqrt(to)) to about a million numbers of memory.
const MAX_TO = 1e12;

/** Counts the primes in [from, to) with a segmented sieve: the map step of "primes below N". */
export const countPrimes = defineFunction({
  name: "count-primes",
  description: `Counts the primes p with from <= p < to (a range of at most ${MAX_SPAN} numbers).`,
  input: z
    .object({ from: z.int().min(0), to: z.int().min(0).max(MAX_TO) })
    .refine((r) => r.to >= r.from, { message: "to must be >= from", path: ["to"] })
    .refine((r) => r.to - r.from <= MAX_SPAN, { message: `a range holds at most ${MAX_SPAN} numbers`, path: ["to"] }),
  timeoutMs: 60_000,
  async run({ from, to }, ctx) {
    const basePrimes = primesBelow(Math.ceil(Math.sqrt(to)) + 1);
    let count = 0;
    for (let low = Math.max(from, 2); low < to; low += SEGMENT) {
      count += countInSegment(low, Math.min(low + SEGMENT, to), basePrimes);
      await checkpoint(ctx.signal);
    }
    return { from, to, count };
  },
});

function primesBelow(limit: number): number[] {
  const composite = new Uint8Array(limit);
  const primes: number[] = [];
  for (let n = 2; n < limit; n++) {
    if (composite[n]) continue;
    primes.push(n);
    for (let m = n * n; m < limit; m += n) composite[m] = 1;
  }
  return primes;
}

/** Primes in [low, high), low >= 2, given every prime up to sqrt(high). */
function countInSegment(low: number, high: number, basePrimes: number[]): number {
  const composite = new Uint8Array(high - low);
  for (const p of basePrimes) {
    if (p * p >= high) break;
    for (let m = Math.max(p * p, Math.ceil(low / p) * p); m < high; m += p) composite[m - low] = 1;
  }
  let count = 0;
  for (const flag of composite) if (!flag) count++;
  return count;
}
