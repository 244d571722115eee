import { z } from "zod";
import { afterEach, describe, expect, it } from "vitest";
import type { ClaimedTask } from "../../src/queue/types";
import { systemClock } from "../../src/runtime/budget";
import { runtimeFromEnv } from "../../src/runtime/runtime";
import { executeTask, type ExecuteOptions } from "../../src/runtime/execute";
import { defineFunction } from "../../src/runtime/function";
import { createLogger } from "../../src/runtime/logger";
import { registry } from "../../src/runtime/registry";
import { setTaskTracer, taskTracer, type TaskSpanEnd, type TaskSpanStart, type TaskTracer } from "../../src/runtime/tracing";

const double = defineFunction({ name: "double", input: z.number(), run: (n) => n * 2 });
const fails = defineFunction({ name: "fails", input: z.unknown(), run: () => Promise.reject(new Error("nope")) });

function claimed(fn: string, input: unknown): ClaimedTask {
  return {
    id: `t-${fn}`, queue: "traced", fn, input, attempt: 1, maxAttempts: 3, timeoutMs: null,
    leaseToken: "1.x", leaseUntil: Date.now() + 30_000, enqueuedAt: 1_700_000_000_000, jobId: null,
  };
}

function recording(): { tracer: TaskTracer; starts: TaskSpanStart[]; ends: [TaskSpanEnd, unknown][] } {
  const starts: TaskSpanStart[] = [];
  const ends: [TaskSpanEnd, unknown][] = [];
  return {
    starts,
    ends,
    tracer: {
      onTaskStart: (task) => (starts.push(task), { span: task.taskId }),
      onTaskEnd: (task, started) => void ends.push([task, started]),
    },
  };
}

describe("tracing hooks", () => {
  const lines: string[] = [];
  const base: ExecuteOptions = {
    functions: registry([double, fails]),
    defaultTimeoutMs: 1_000,
    maxTimeoutMs: 5_000,
    clock: systemClock,
    log: createLogger("info", {}, (line) => lines.push(line)),
  };
  afterEach(() => setTaskTracer(undefined));

  it("wrap each attempt: start with the task, end with its outcome and what start returned", async () => {
    const { tracer, starts, ends } = recording();
    expect((await executeTask(claimed("double", 21), { ...base, tracer })).ok).toBe(true);
    expect(await executeTask(claimed("fails", null), { ...base, tracer })).toMatchObject({ ok: false, error: "nope" });
    expect(starts.map((s) => s.taskId)).toEqual(["t-double", "t-fails"]);
    expect(starts[0]).toMatchObject({ queue: "traced", fn: "double", attempt: 1, maxAttempts: 3, enqueuedAt: 1_700_000_000_000 });
    expect(ends[0]![0]).toMatchObject({ taskId: "t-double", ok: true, durationMs: expect.any(Number) });
    expect(ends[0]![1]).toEqual({ span: "t-double" });
    expect(ends[1]![0]).toMatchObject({ taskId: "t-fails", ok: false, error: "nope", retryable: true });
  });

  it("never lets a throwing tracer fail the task, and logs what it threw", async () => {
    const broken: TaskTracer = {
      onTaskStart: () => {
        throw new Error("exporter down");
      },
      onTaskEnd: () => {
        throw new Error("exporter still down");
      },
    };
    lines.length = 0;
    expect(await executeTask(claimed("double", 2), { ...base, tracer: broken })).toMatchObject({ ok: true, result: 4 });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.map((l) => l.msg)).toEqual(["tracer onTaskStart threw", "tracer onTaskEnd threw"]);
    expect(logged[0]).toMatchObject({ level: "warn", taskId: "t-double", queue: "traced", attempt: 1 });
  });

  it("installs one tracer per isolate, which every runtime built from env then uses", () => {
    const env = {
      EDGEQ_PUBLIC_URL: "http://127.0.0.1:1", EDGEQ_TOKENS: "", UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1",
      UPSTASH_REDIS_REST_TOKEN: "x", QSTASH_URL: "http://127.0.0.1:1", QSTASH_TOKEN: "x",
      QSTASH_CURRENT_SIGNING_KEY: "x", QSTASH_NEXT_SIGNING_KEY: "x",
    };
    expect(runtimeFromEnv(env, { functions: registry([]) }).tracer).toBeUndefined();
    const { tracer } = recording();
    setTaskTracer(tracer);
    expect(taskTracer()).toBe(tracer);
    expect(runtimeFromEnv(env, { functions: registry([]) }).tracer).toBe(tracer);
    const own = recording().tracer;
    expect(runtimeFromEnv(env, { functions: registry([]), tracer: own }).tracer).toBe(own);
  });
});
