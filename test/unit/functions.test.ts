import { createHash } from "node:crypto";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { functions } from "../../functions/index";
import { NO_BLOBS } from "../../src/blobs/store";
import { defineFunction } from "../../src/runtime/function";
import { createLogger } from "../../src/runtime/logger";
import { registry } from "../../src/runtime/registry";
import type { TaskContext } from "../../src/runtime/types";

function ctx(attempt = 1, signal = new AbortController().signal, reported: unknown[] = []): TaskContext {
  return { taskId: "t1", queue: "unit", attempt, signal, log: createLogger("error", {}, () => {}), progress: (value) => void reported.push(value), blobs: NO_BLOBS };
}

/** Runs a registered function the way the runtime does: input through its schema first. */
async function call(name: string, input: unknown, context = ctx()) {
  const fn = functions.task(name);
  if (!fn) throw new Error(`${name} is not registered`);
  return fn.run(fn.input.parse(input), context);
}

function naivePrimeCount(from: number, to: number): number {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
    if (prime) count++;
  }
  return count;
}

describe("example functions", () => {
  it("echo returns its input", async () => {
    expect(await call("echo", { n: 1, s: ["x"] })).toEqual({ n: 1, s: ["x"] });
  });

  it("flaky throws until the attempt passes input.failures", async () => {
    await expect(call("flaky", { failures: 2 }, ctx(1))).rejects.toThrow(/attempt 1 of 2/);
    await expect(call("flaky", { failures: 2 }, ctx(2))).rejects.toThrow(/attempt 2 of 2/);
    expect(await call("flaky", { failures: 2, value: "ok" }, ctx(3))).toEqual({ attempt: 3, value: "ok" });
  });

  it("sleep waits input.ms, reporting {done, total} about every 100 ms, and returns {slept}", async () => {
    const reported: unknown[] = [];
    const result = (await call("sleep", { ms: 350 }, ctx(1, undefined, reported))) as { slept: number };
    expect(result.slept).toBeGreaterThanOrEqual(350);
    expect(reported[0]).toEqual({ done: 0, total: 350 });
    expect(reported.at(-1)).toEqual({ done: 350, total: 350 });
    expect(reported.length).toBeGreaterThanOrEqual(4);
    expect(reported.length).toBeLessThanOrEqual(6);
    expect(functions.task("sleep")?.input.safeParse({ ms: 60_001 }).success).toBe(false);
    expect(functions.task("sleep")?.input.safeParse({ ms: -1 }).success).toBe(false);
  });

  it("sleep stops as soon as its signal fires", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("lease lost")), 50);
    const started = Date.now();
    await expect(call("sleep", { ms: 10_000 }, ctx(1, controller.signal))).rejects.toThrow("lease lost");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("count-primes agrees with trial division on ranges crossing segment edges", async () => {
    for (const [from, to] of [[0, 2], [0, 100], [2, 3], [1_000, 5_000], [262_100, 262_200], [999_000, 1_000_000]] as const) {
      expect(await call("count-primes", { from, to })).toEqual({ from, to, count: naivePrimeCount(from, to) });
    }
    expect(await call("count-primes", { from: 0, to: 10_000_000 })).toMatchObject({ count: 664_579 });
  });

  it("count-primes refuses reversed or oversized ranges", () => {
    const schema = functions.task("count-primes")?.input;
    expect(schema?.safeParse({ from: 10, to: 5 }).success).toBe(false);
    expect(schema?.safeParse({ from: 0, to: 60_000_000 }).success).toBe(false);
  });

  it("count-primes stops at a checkpoint once aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("timed out"));
    await expect(call("count-primes", { from: 0, to: 10_000_000 }, ctx(1, controller.signal))).rejects.toThrow("timed out");
  });

  it("hash-chain matches node:crypto hashing the digest again and again", async () => {
    let digest = createHash("sha256").update("edgeq").digest();
    for (let round = 2; round <= 2_500; round++) digest = createHash("sha256").update(digest).digest();
    expect(await call("hash-chain", { payload: "edgeq", rounds: 2_500 })).toEqual({ rounds: 2_500, sha256: digest.toString("hex") });
    expect(await call("hash-chain", { payload: "", rounds: 1 })).toMatchObject({
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    });
  });

  it("word-frequencies counts case-folded words, any script, most frequent first", async () => {
    const text = "The cat and the hat. THE END — don't stop; Ça va, ça VA!";
    expect(await call("word-frequencies", { text })).toEqual({
      words: 13,
      distinct: 9,
      frequencies: { the: 3, "ça": 2, va: 2, and: 1, cat: 1, "don't": 1, end: 1, hat: 1, stop: 1 },
    });
    // Ties break by code unit order, so "va" comes before "ça".
    const top = (await call("word-frequencies", { text, top: 3 })) as { frequencies: Record<string, number> };
    expect(Object.entries(top.frequencies)).toEqual([["the", 3], ["va", 2], ["ça", 2]]);
  });
});

describe("registry", () => {
  it("lists every function with its limits and the JSON Schema of its input", () => {
    const listed = functions.list();
    const named = (kind: string) => listed.filter((fn) => fn.kind === kind).map((fn) => fn.name).sort();
    expect(named("task")).toEqual(["count-primes", "echo", "flaky", "hash-chain", "partner-call", "sleep", "word-frequencies"]);
    expect(named("job")).toEqual(["corpus-word-frequencies", "estimate-pi", "log-stats", "primes-below"]);
    const primes = listed.find((fn) => fn.name === "count-primes");
    expect(primes).toMatchObject({ kind: "task", timeoutMs: 60_000, maxAttempts: null });
    expect(primes?.inputSchema).toMatchObject({ type: "object", required: ["from", "to"] });
    expect(JSON.parse(JSON.stringify(listed))).toEqual(listed);
  });

  it("refuses two functions with one name, and names outside the alphabet", () => {
    const one = defineFunction({ name: "same", input: z.unknown(), run: () => 1 });
    expect(() => registry([one, { ...one }])).toThrow(/two functions are named "same"/);
    expect(() => defineFunction({ name: "Bad Name", input: z.unknown(), run: () => 1 })).toThrow(/must match/);
    expect(() => defineFunction({ name: "ok", input: z.unknown(), maxAttempts: 0, run: () => 1 })).toThrow(/maxAttempts/);
  });
});
