import { z } from "zod";
import { describe, expect, it } from "vitest";
import type { ClaimedTask } from "../../src/queue/types";
import { systemClock } from "../../src/runtime/budget";
import { executeTask, type ExecuteOptions } from "../../src/runtime/execute";
import { defineFunction, PermanentError } from "../../src/runtime/function";
import { createLogger } from "../../src/runtime/logger";
import { registry } from "../../src/runtime/registry";
import type { TaskContext } from "../../src/runtime/types";

let seen: TaskContext | undefined;
let calls = 0;

const add = defineFunction({
  name: "add",
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }, ctx) => {
    calls++;
    seen = ctx;
    return a + b;
  },
});
const hang = defineFunction({ name: "hang", input: z.unknown(), timeoutMs: 20, run: () => new Promise<never>(() => {}) });
let seenSignal: AbortSignal | undefined;
const cooperative = defineFunction({
  name: "cooperative",
  input: z.unknown(),
  run: (_input, ctx) => {
    seenSignal = ctx.signal;
    return new Promise<never>((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("stopped by signal"))));
  },
});
const boom = defineFunction({ name: "boom", input: z.unknown(), run: () => Promise.reject(new TypeError("boom")) });
const hopeless = defineFunction({ name: "hopeless", input: z.unknown(), run: () => { throw new PermanentError("account deleted"); } });
const bigint = defineFunction({ name: "bigint", input: z.unknown(), run: () => ({ n: 1n }) });
const nothing = defineFunction({ name: "nothing", input: z.unknown(), run: () => undefined });
const functions = registry([add, hang, cooperative, boom, hopeless, bigint, nothing]);

const lines: string[] = [];
const options: ExecuteOptions = {
  functions,
  defaultTimeoutMs: 5_000,
  maxTimeoutMs: 60_000,
  clock: systemClock,
  log: createLogger("debug", {}, (line) => lines.push(line)),
};

function claimed(fn: string, input: unknown, extra: Partial<ClaimedTask> = {}): ClaimedTask {
  return {
    id: `t-${fn}`, queue: "unit", fn, input, attempt: 2, maxAttempts: 5, timeoutMs: null,
    leaseToken: "lease-1", leaseUntil: Date.now() + 30_000, enqueuedAt: Date.now(), jobId: null, ...extra,
  };
}

describe("executeTask", () => {
  it("runs the function with the parsed input and a context naming the task", async () => {
    const outcome = await executeTask(claimed("add", { a: 2, b: 3 }), options);
    expect(outcome).toMatchObject({ ok: true, result: 5 });
    expect(seen).toMatchObject({ taskId: "t-add", queue: "unit", attempt: 2 });
    expect(seen?.signal.aborted).toBe(false);
    const line = JSON.parse(lines.at(-1) ?? "{}");
    expect(line).toMatchObject({ level: "debug", msg: "task succeeded", taskId: "t-add", queue: "unit", attempt: 2 });
    expect(typeof line.durationMs).toBe("number");
  });

  it("sends an unknown function straight to dead, naming what is registered", async () => {
    const outcome = await executeTask(claimed("nope", {}), options);
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    expect(outcome.ok || outcome.error).toMatch(/unknown function "nope" \(registered: add, hang/);
  });

  it("sends input that fails the schema straight to dead without running the function", async () => {
    const before = calls;
    const outcome = await executeTask(claimed("add", { a: 2, b: "three" }), options);
    expect(calls).toBe(before);
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    expect(outcome.ok || outcome.error).toMatch(/invalid input for "add":[\s\S]*b/);
  });

  it("retries a thrown error but not a PermanentError", async () => {
    expect(await executeTask(claimed("boom", null), options)).toMatchObject({ ok: false, retryable: true, error: "TypeError: boom" });
    expect(await executeTask(claimed("hopeless", null), options)).toMatchObject({
      ok: false, retryable: false, error: "PermanentError: account deleted",
    });
  });

  it("times out a function that never settles, using the function's timeout", async () => {
    const outcome = await executeTask(claimed("hang", null), options);
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: "timed out after 20 ms" });
  });

  it("prefers the task's own timeout and caps it at the invocation's limit", async () => {
    const own = await executeTask(claimed("cooperative", null, { timeoutMs: 15 }), options);
    expect(own).toMatchObject({ ok: false, retryable: true, error: "timed out after 15 ms" });
    const capped = await executeTask(claimed("cooperative", null, { timeoutMs: 10_000 }), { ...options, maxTimeoutMs: 10 });
    expect(capped).toMatchObject({ ok: false, error: "timed out after 10 ms" });
  });

  it("aborts the attempt when its lease is lost", async () => {
    let stop: (reason: string) => void = () => {};
    const running = executeTask(claimed("cooperative", null), { ...options, abortHandle: (abort) => (stop = abort) });
    stop("lease lost: the task may be running elsewhere");
    expect(await running).toMatchObject({ ok: false, error: "lease lost: the task may be running elsewhere" });
    expect(seenSignal?.aborted).toBe(true);
  });

  it("refuses results JSON cannot hold and stores undefined as null", async () => {
    expect(await executeTask(claimed("bigint", null), options)).toMatchObject({
      ok: false, retryable: false, error: expect.stringMatching(/not JSON-serializable/),
    });
    expect(await executeTask(claimed("nothing", null), options)).toMatchObject({ ok: true, result: null });
  });
});
