import { z } from "zod";
import { defineFunction } from "../src/runtime/index";

/** Returns its input unchanged: the no-op task the benchmarks measure the queue with. */
export const echo = defineFunction({
  name: "echo",
  description: "Returns its input unchanged (used by the benchmarks).",
  input: z.unknown(),
  run: (input) => input,
});
