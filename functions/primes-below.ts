import { z } from "zod";
import { defineJob } from "../src/runtime/index";
import { countPrimes } from "./count-primes";

/**
 * How many primes are below N? Split [0, N) into `tasks` ranges, count each range with a segmented
 * sieve (the count-primes task function), and add the counts up as they arrive.
 */
export const primesBelow = defineJob({
  name: "primes-below",
  description: "Counts the primes below N, split into `tasks` ranges counted in parallel.",
  input: z
    .object({ below: z.int().min(0).max(1e11), tasks: z.int().min(1).max(100_000) })
    .refine((job) => job.below / job.tasks <= 50_000_000, { message: "at most 50,000,000 numbers per task", path: ["tasks"] }),
  count: ({ tasks }) => tasks,
  *split({ below, tasks }) {
    for (let i = 0; i < tasks; i++) yield { from: Math.floor((below * i) / tasks), to: Math.floor((below * (i + 1)) / tasks) };
  },
  map: async (range: { from: number; to: number }, ctx) => (await countPrimes.run(range, ctx)).count,
  initial: () => 0,
  reduce: (sum, count) => sum + count,
  finalize: (primes, { below }) => ({ below, primes }),
  // A task's lease is never shorter than its timeout, so the timeout is also how long the tasks of
  // a crashed invocation wait before they run again: a range of 50M numbers takes about a second.
  timeoutMs: 15_000,
});
