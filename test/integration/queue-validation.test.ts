import { describe, expect, it } from "vitest";
import { EdgeqError, ErrorCode, QueueNotFoundError, ValidationError } from "../../src/queue/index";
import type { EnqueueRequest } from "../../src/queue/types";
import { queueFixture, queueName } from "./queue-fixture";

/** Bad input is refused with an error naming the field, before anything is written. */
describe("queue core: bad input", () => {
  const { queue } = queueFixture({ maxInputBytes: 100 });

  async function refused(q: string, tasks: EnqueueRequest[], code: ErrorCode, field: string) {
    const error = await queue.enqueue(q, tasks).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(EdgeqError);
    expect(error).toMatchObject({ code, field });
    await expect(queue.getQueue(q)).rejects.toBeInstanceOf(QueueNotFoundError);
  }

  it("refuses queue names outside [a-z0-9_-]{1,64}", async () => {
    for (const name of ["", "Upper", "has space", "a:b", "{x}", "é", "a".repeat(65)]) {
      await expect(queue.enqueue(name, [{ fn: "f", input: 1 }])).rejects.toMatchObject({ code: ErrorCode.InvalidQueueName, field: "queue" });
      await expect(queue.claim(name, 1)).rejects.toMatchObject({ code: ErrorCode.InvalidQueueName });
    }
    expect((await queue.enqueue("a".repeat(64), [{ fn: "f", input: 1 }]))[0]!.duplicate).toBe(false);
  });

  it("refuses an oversized input (counted in UTF-8 bytes) and writes none of the batch", async () => {
    const q = queueName();
    await refused(q, [{ fn: "f", input: "ok" }, { fn: "f", input: "x".repeat(99) }], ErrorCode.InputTooLarge, "tasks[1].input");
    await refused(q, [{ fn: "f", input: "é".repeat(50) }], ErrorCode.InputTooLarge, "tasks[0].input"); // 52 characters, 102 bytes
    const error = await queue.enqueue(q, [{ fn: "f", input: "x".repeat(99) }]).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/101 bytes of JSON; the limit is 100/);
    expect((await queue.enqueue(q, [{ fn: "f", input: "x".repeat(98) }]))[0]!.status).toBe("queued");
  });

  it("refuses values JSON cannot carry: BigInt, functions, symbols, cycles, NaN, Infinity, Map, Set, undefined", async () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const bad: unknown[] = [10n, { n: 10n }, () => 1, { f() {} }, [Symbol("s")], cycle, NaN, { x: Infinity }, new Map(), new Set([1]), undefined];
    for (const input of bad) await refused(queueName(), [{ fn: "f", input }], ErrorCode.NotJson, "tasks[0].input");
  });

  it("refuses malformed task fields, naming each", async () => {
    const cases: [Partial<EnqueueRequest>, string][] = [
      [{ fn: "bad|name" }, "tasks[0].fn"],
      [{ fn: "" }, "tasks[0].fn"],
      [{ priority: 1001 }, "tasks[0].priority"],
      [{ priority: 1.5 }, "tasks[0].priority"],
      [{ delayMs: -1 }, "tasks[0].delayMs"],
      [{ delayMs: 10, runAt: 5 }, "tasks[0].runAt"],
      [{ maxAttempts: 0 }, "tasks[0].maxAttempts"],
      [{ timeoutMs: 0 }, "tasks[0].timeoutMs"],
      [{ id: "has|bar" }, "tasks[0].id"],
      [{ id: "a,b" }, "tasks[0].id"],
      [{ id: "" }, "tasks[0].id"],
      [{ dedupKey: "" }, "tasks[0].dedupKey"],
      [{ jobId: "bad job" }, "tasks[0].jobId"],
    ];
    for (const [patch, field] of cases) {
      await refused(queueName(), [{ fn: "f", input: 1, ...patch } as EnqueueRequest], ErrorCode.InvalidArgument, field);
    }
    await refused(queueName(), "nope" as never, ErrorCode.InvalidArgument, "tasks");
    await refused(queueName(), Array.from({ length: 10_001 }, () => ({ fn: "f", input: 1 })), ErrorCode.InvalidArgument, "tasks");
  });

  it("refuses bad settle, claim and upkeep arguments without touching the task", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1 }]);
    const [task] = await queue.claim(q, 1);
    await expect(queue.complete(q, [{ id: task!.id, leaseToken: task!.leaseToken, result: 1n }])).rejects.toMatchObject({ field: "completions[0].result", code: ErrorCode.NotJson });
    await expect(queue.complete(q, [{ id: task!.id, leaseToken: task!.leaseToken, result: "y".repeat(200) }])).rejects.toMatchObject({ field: "completions[0].result", code: ErrorCode.InputTooLarge });
    await expect(queue.complete(q, [{ id: task!.id, leaseToken: 7 as never, result: 1 }])).rejects.toMatchObject({ field: "completions[0].leaseToken" });
    await expect(queue.fail(q, [{ id: task!.id, leaseToken: task!.leaseToken, error: { m: 1 } as never, retryable: true }])).rejects.toMatchObject({ field: "failures[0].error" });
    await expect(queue.claim(q, -1)).rejects.toMatchObject({ field: "max" });
    await expect(queue.claim(q, 1, 0)).rejects.toMatchObject({ field: "leaseMs" });
    await expect(queue.upkeep(q, 0)).rejects.toMatchObject({ field: "limit" });
    await expect(queue.get("bad id")).rejects.toMatchObject({ field: "ids[0]" });
    expect(await queue.get(task!.id)).toMatchObject({ status: "running", attempts: 1 });
    // a result of undefined (a function that returns nothing) is stored as null
    expect((await queue.complete(q, [{ id: task!.id, leaseToken: task!.leaseToken, result: undefined }]))[0]!.outcome).toBe("succeeded");
    expect((await queue.get(task!.id))?.result).toBeNull();
  });
});
