/**
 * A small seeded PRNG for jobs whose answer must be checkable: the same seed gives the same
 * numbers on every machine, so a distributed run and a single-process run agree exactly.
 */

/** Mixes integers into one 32-bit seed (a multiply-xorshift hash), e.g. (job seed, task index). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Uniform numbers in [0, 1) from a 32-bit xorshift generator (never seeded with 0). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x6d2b79f5;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}
