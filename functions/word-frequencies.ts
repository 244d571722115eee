import { z } from "zod";
import { defineFunction } from "../src/runtime/index";

/** Letters with inner apostrophes ("don't", "o'clock"), in any script. */
const WORD = /\p{L}+(?:['\u2019]\p{L}+)*/gu;

/**
 * Counts each word of a text chunk, case-folded: the map step of word frequencies over a corpus.
 * `top` keeps only the most frequent words when the caller wants a short answer.
 */
export const wordFrequencies = defineFunction({
  name: "word-frequencies",
  description: "Counts the words of a text chunk (lowercased); `top` keeps the N most frequent.",
  input: z.object({
    text: z.string().max(1_000_000),
    top: z.int().min(1).max(10_000).optional(),
  }),
  run({ text, top }) {
    const counts = new Map<string, number>();
    let words = 0;
    for (const [word] of text.toLowerCase().matchAll(WORD)) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
      words++;
    }
    // Most frequent first, ties alphabetical, so the answer is the same on every run.
    const ranked = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    return {
      words,
      distinct: counts.size,
      frequencies: Object.fromEntries(top === undefined ? ranked : ranked.slice(0, top)),
    };
  },
});
