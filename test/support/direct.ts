/**
 * The example jobs' answers computed directly in one process, the plain way, without split, map or
 * reduce: the reference the distributed results are checked against.
 */
import { corpusChunk } from "../../functions/corpus";
import { mixSeed, seededRandom } from "../../functions/seeded-random";

/** Sieve of Eratosthenes over [0, below). */
export function primesBelowDirect(below: number): number {
  const composite = new Uint8Array(below);
  let primes = 0;
  for (let n = 2; n < below; n++) {
    if (composite[n]) continue;
    primes++;
    for (let m = n * n; m < below; m += n) composite[m] = 1;
  }
  return primes;
}

/** Every task's points in one loop, from the same seeded streams. */
export function estimatePiDirect(tasks: number, samples: number, seed: number) {
  let inside = 0;
  for (let index = 0; index < tasks; index++) {
    const random = seededRandom(mixSeed(seed, index));
    for (let i = 0; i < samples; i++) {
      const x = random();
      const y = random();
      if (x * x + y * y < 1) inside++;
    }
  }
  return { pi: (4 * inside) / (tasks * samples), inside, samples: tasks * samples };
}

/** The whole corpus as one text, its words counted with one regular expression. */
export function wordFrequenciesDirect(seed: number, chunks: number, chunkBytes: number, top: number) {
  let text = "";
  for (let chunk = 0; chunk < chunks; chunk++) text += corpusChunk(seed, chunk, chunkBytes);
  const counts = new Map<string, number>();
  const words = text.toLowerCase().match(/\p{L}+(?:['\u2019]\p{L}+)*/gu) ?? [];
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  const ranked = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return { words: words.length, distinct: counts.size, top: ranked.slice(0, top), bytes: text.length };
}
