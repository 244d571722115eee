import { z } from "zod";
import { defineJob } from "../src/runtime/index";
import { corpusChunk } from "./corpus";
import { wordFrequencies } from "./word-frequencies";

/**
 * Word frequencies over a text corpus: each task counts the words of one chunk (the
 * word-frequencies task function), and the counts are merged as they arrive. The corpus is the
 * seeded synthetic one of corpus.ts, `chunks` x `chunkBytes` characters (200 x 32 KB: 6.4 MB).
 */
export const corpusWordFrequencies = defineJob({
  name: "corpus-word-frequencies",
  description: "Counts every word of the synthetic corpus (seeded) in parallel chunks; returns totals and the top words.",
  input: z.object({
    corpus: z.literal("synthetic").default("synthetic"),
    seed: z.int().min(0).max(2 ** 32 - 1).default(42),
    chunks: z.int().min(1).max(100_000).default(200),
    chunkBytes: z.int().min(1_000).max(64_000).default(32_000),
    top: z.int().min(1).max(1_000).default(20),
  }),
  count: ({ chunks }) => chunks,
  *split({ seed, chunks, chunkBytes }) {
    for (let chunk = 0; chunk < chunks; chunk++) yield { seed, chunk, chunkBytes };
  },
  map: async ({ seed, chunk, chunkBytes }: { seed: number; chunk: number; chunkBytes: number }, ctx) => {
    const { words, frequencies } = await wordFrequencies.run({ text: corpusChunk(seed, chunk, chunkBytes) }, ctx);
    return { words, frequencies: frequencies as Record<string, number> };
  },
  initial: () => ({ words: 0, frequencies: {} as Record<string, number> }),
  reduce: (acc, part) => {
    for (const [word, n] of Object.entries(part.frequencies)) acc.frequencies[word] = (acc.frequencies[word] ?? 0) + n;
    return { words: acc.words + part.words, frequencies: acc.frequencies };
  },
  finalize: ({ words, frequencies }, { top }) => {
    const ranked = Object.entries(frequencies).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    return { words, distinct: ranked.length, top: ranked.slice(0, top) };
  },
});
