/**
 * The example jobs give the single-process answer when run distributed: through the queue, the
 * runtime's batches and the fold, with and without map tasks failing on their first attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusWordFrequencies } from "../../functions/corpus-word-frequencies";
import { estimatePi } from "../../functions/estimate-pi";
import { primesBelow } from "../../functions/primes-below";
import type { JobFunction } from "../../src/runtime/job";
import { registry } from "../../src/runtime/registry";
import { estimatePiDirect, primesBelowDirect, wordFrequenciesDirect } from "../support/direct";
import { startReceiver, type Receiver } from "../support/qstash-receiver";
import { keys, runUntilOver, start, tasks } from "./jobs-fixture";
import { taskIdOf } from "../../src/queue/ids";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await keys.cleanup();
});

/** Flaky-style: every `every`-th map task throws on its first `failures` attempts. */
function withFailures<I, T, P, A, R>(job: JobFunction<I, T, P, A, R>, every: number, failures: number): JobFunction<I, T, P, A, R> {
  return {
    ...job,
    map(item, ctx) {
      const index = Number(ctx.taskId.slice(ctx.taskId.lastIndexOf("-") + 1));
      if (index % every === 0 && ctx.attempt <= failures) throw new Error(`injected failure of task ${index}, attempt ${ctx.attempt}`);
      return job.map(item, ctx);
    },
  };
}

const examples = [
  { job: primesBelow, input: { below: 2_000_000, tasks: 40 }, expected: () => ({ below: 2_000_000, primes: primesBelowDirect(2_000_000) }) },
  { job: estimatePi, input: { tasks: 60, samples: 20_000, seed: 7 }, expected: () => estimatePiDirect(60, 20_000, 7) },
  {
    job: corpusWordFrequencies,
    input: { chunks: 24, chunkBytes: 20_000, top: 25 },
    expected: () => {
      const { words, distinct, top } = wordFrequenciesDirect(42, 24, 20_000, 25);
      return { words, distinct, top };
    },
  },
] as const;

describe("example jobs against a single-process computation", () => {
  for (const { job, input, expected } of examples) {
    it(`${job.name}: the distributed result equals the direct one`, async () => {
      const functions = registry([], [job as JobFunction]);
      const { id, queue, total } = await start(job as JobFunction, input, { batchSize: 7 });
      const finished = await runUntilOver(receiver, functions, id, queue);
      expect(finished).toMatchObject({ status: "succeeded", total, done: total, failed: 0 });
      expect(finished.result).toEqual(expected());
    });

    it(`${job.name}: the same result when every third map task fails twice before succeeding`, async () => {
      const flaky = withFailures(job as JobFunction, 3, 2);
      const { id, queue, total } = await start(flaky, input, { batchSize: 5, maxAttempts: 3 });
      const finished = await runUntilOver(receiver, registry([], [flaky]), id, queue);
      expect(finished).toMatchObject({ status: "succeeded", done: total, failed: 0 });
      expect(finished.result).toEqual(expected());
      const [first, second] = await tasks.getMany([taskIdOf(queue, `${id}-0`), taskIdOf(queue, `${id}-1`)]);
      expect(first).toMatchObject({ status: "succeeded", attempts: 3, jobId: id });
      expect(second).toMatchObject({ status: "succeeded", attempts: 1, jobId: id });
      // The map result lives in the job's accumulator, not in every task record.
      expect(first?.result).toBeUndefined();
    });
  }

  it("a corpus of several megabytes: 200 chunks of 32 KB by default", () => {
    expect(wordFrequenciesDirect(42, 200, 32_000, 1).bytes).toBeGreaterThan(6_000_000);
    expect(corpusWordFrequencies.input.parse({})).toMatchObject({ chunks: 200, chunkBytes: 32_000 });
  });
});
