/**
 * What a user imports to write a map-reduce job in functions/: `defineJob` keeps the types flowing
 * from the input schema through split, map, reduce and finalize.
 *
 * A job splits its input into map items; each item runs as one task (retried like any task) and
 * its result is folded into the accumulator by `reduce` as it arrives, so partial results are never
 * all kept. Folds happen in any order and each result exactly once: `reduce` must be associative
 * and commutative over partials (sums, counts, merges of counts, min/max).
 */
import type { z } from "zod";
import { FUNCTION_NAME } from "./function";
import type { BlobStore } from "../blobs/index";
import type { TaskContext } from "./types";

export interface JobStartContext {
  blobs: BlobStore;
}

export interface JobFunction<Input = unknown, Item = unknown, Partial = unknown, Acc = unknown, Result = unknown> {
  name: string;
  description?: string;
  input: z.ZodType<Input>;
  /**
   * Resolves, once when the job starts, what split needs from outside (an object listing): split
   * then stays a pure function of the stored input. A PermanentError here refuses the job (400).
   */
  prepare?(input: Input, ctx: JobStartContext): Promise<Input>;
  /** The map items, in a deterministic order (each becomes task `<jobId>-<index>`). */
  split(input: Input): Iterable<Item>;
  /** How many items split yields, when it can tell without iterating (iterated otherwise). */
  count?(input: Input): number;
  map(item: Item, ctx: TaskContext): Promise<Partial> | Partial;
  initial(input: Input): Acc;
  reduce(acc: Acc, partial: Partial): Acc;
  finalize?(acc: Acc, input: Input): Result;
  /** The job fails as soon as more than this many map tasks are dead (default 0). */
  maxFailures?: number;
  /** Attempts and per-attempt time limit of each map task (the queue's settings otherwise). */
  maxAttempts?: number;
  timeoutMs?: number;
}

export function defineJob<Input, Item, Partial, Acc, Result = Acc>(
  def: JobFunction<Input, Item, Partial, Acc, Result>,
): JobFunction<Input, Item, Partial, Acc, Result> {
  if (!FUNCTION_NAME.test(def.name)) {
    throw new TypeError(`job name "${def.name}" must match ${FUNCTION_NAME} (lowercase letters, digits, _ . -)`);
  }
  if (def.maxFailures !== undefined && !(Number.isInteger(def.maxFailures) && def.maxFailures >= 0)) {
    throw new TypeError(`job "${def.name}": maxFailures must be an integer >= 0, got ${def.maxFailures}`);
  }
  if (def.maxAttempts !== undefined && !(Number.isInteger(def.maxAttempts) && def.maxAttempts >= 1)) {
    throw new TypeError(`job "${def.name}": maxAttempts must be an integer >= 1, got ${def.maxAttempts}`);
  }
  return def;
}

