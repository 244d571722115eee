import { z } from "zod";
import { defineJob } from "../src/runtime/index";
import { mixSeed, seededRandom } from "./seeded-random";

/**
 * Monte Carlo estimate of pi: each task throws `samples` points into the unit square and counts
 * those inside the quarter circle. Every task's points come from its own seed (the job's seed and
 * its index), so the answer is reproducible to the last point and checkable in one process.
 */
export const estimatePi = defineJob({
  name: "estimate-pi",
  description: "Estimates pi from `tasks` x `samples` random points (seeded, so reproducible).",
  input: z.object({
    tasks: z.int().min(1).max(100_000),
    samples: z.int().min(1).max(10_000_000),
    seed: z.int().min(0).max(2 ** 32 - 1).default(1),
  }),
  count: ({ tasks }) => tasks,
  *split({ tasks, samples, seed }) {
    for (let index = 0; index < tasks; index++) yield { seed, index, samples };
  },
  map: ({ seed, index, samples }: { seed: number; index: number; samples: number }) => {
    const random = seededRandom(mixSeed(seed, index));
    let inside = 0;
    for (let i = 0; i < samples; i++) {
      const x = random();
      const y = random();
      if (x * x + y * y < 1) inside++;
    }
    return { inside, samples };
  },
  initial: () => ({ inside: 0, samples: 0 }),
  reduce: (acc, part) => ({ inside: acc.inside + part.inside, samples: acc.samples + part.samples }),
  finalize: ({ inside, samples }) => ({ pi: (4 * inside) / samples, inside, samples }),
});
