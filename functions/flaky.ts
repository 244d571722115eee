import { z } from "zod";
import { defineFunction } from "../src/runtime/index";

/**
 * Fails on purpose for the first `failures` attempts, then succeeds: enqueue it with failures: 2 and
 * watch the task come back from its retries (or go dead when the queue's maxAttempts is lower).
 */
export const flaky = defineFunction({
  name: "flaky",
  description: "Throws until ctx.attempt > input.failures, then returns the attempt that succeeded.",
  input: z.object({
    failures: z.int().min(0).max(100),
    value: z.unknown().optional(),
  }),
  run({ failures, value }, ctx) {
    if (ctx.attempt <= failures) {
      ctx.log.info("failing on purpose", { attempt: ctx.attempt, failures });
      throw new Error(`failing on purpose: attempt ${ctx.attempt} of ${failures} planned failures`);
    }
    return { attempt: ctx.attempt, value: value ?? null };
  },
});
