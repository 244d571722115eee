/**
 * Coalesced single-task enqueues (src/http/enqueue-coalescer.ts) over the real queue core: enqueues
 * that arrive while a call is in flight go together in the next one, and each still gets its own
 * answer, its own error, and the idempotence of its id and dedup key.
 */
import { Redis } from "@upstash/redis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startMonitor } from "../../bench/redis-trace";
import { scriptTally } from "../../bench/script-calls";
import { enqueueCoalesced, MAX_COALESCED_TASKS } from "../../src/http/enqueue-coalescer";
import { createTaskQueue } from "../../src/queue/index";
import type { EnqueueRequest, TaskQueue } from "../../src/queue/types";
import { ValidationError } from "../../src/queue/errors";
import { testKeyspace, testRedis } from "../support/redis-client";
import { queueName } from "./queue-fixture";
import { taskIdOf } from "../../src/queue/ids";

const keys = testKeyspace("coalesce");
const { prefix } = keys;
const core = createTaskQueue(testRedis({ responseEncoding: false, automaticDeserialization: false }), {
  prefix,
  defaults: { dedupWindowMs: 60_000 },
});
afterAll(keys.cleanup);

/** The real queue core, with each script call's group sizes written down. */
function recording(): { tasks: Pick<TaskQueue, "enqueueGroups">; calls: number[][] } {
  const calls: number[][] = [];
  return {
    calls,
    tasks: {
      enqueueGroups: (queue, groups) => {
        calls.push(groups.map((group) => group.length));
        return core.enqueueGroups(queue, groups);
      },
    },
  };
}

function enqueueAll(queue: string, requests: EnqueueRequest[], tasks: Pick<TaskQueue, "enqueueGroups">) {
  const committer = { tasks, keepAlive: () => {} };
  return requests.map((request) => enqueueCoalesced(`${prefix}|${queue}`, queue, [request], committer).then(
    (answer) => answer,
    (error: unknown) => error as Error,
  ));
}

describe("coalesced enqueues", () => {
  it("stores concurrent enqueues in one script call, each answered with its own task", async () => {
    const queue = queueName();
    const { tasks, calls } = recording();
    const answers = await Promise.all(enqueueAll(queue, Array.from({ length: 20 }, (_, n) => ({ fn: "echo", input: n })), tasks));
    expect(calls).toEqual([Array(20).fill(1)]);
    const ids = answers.map((answer) => {
      if (answer instanceof Error) throw answer;
      expect(answer.results).toHaveLength(1);
      expect(answer.pushInfo).toEqual({ paused: false, maxParallel: 10, pushEpoch: 0, live: false });
      return answer.results[0]!.id;
    });
    expect(new Set(ids).size).toBe(20);
    const records = await core.getMany(ids);
    expect(records.map((record) => record?.input)).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  it("costs twenty concurrent enqueues the Redis commands of one script call, as redis-server counts them", async () => {
    const queue = queueName();
    await core.enqueue(queue, [{ fn: "echo", input: "registers the queue first" }]);
    const { tasks } = recording();
    const tally = await scriptTally();
    let commands = 0;
    const stop = await startMonitor(inject("redisPort"), ({ source, args }) => {
      // MEMORY USAGE is the REST server's own probe of record sizes, not a command edgeq sends
      if (!args.some((arg) => arg.startsWith(prefix)) || args[0]?.toUpperCase() === "MEMORY") return;
      commands++;
      tally.add(source, args);
    });
    try {
      await Promise.all(enqueueAll(queue, Array.from({ length: 20 }, (_, n) => ({ fn: "echo", input: n })), tasks));
      // MONITOR's feed may trail the replies a little
      for (let i = 0; i < 50 && (tally.perUnit(1).enqueue?.calls ?? 0) < 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      stop();
    }
    const { enqueue, ...others } = tally.perUnit(1);
    expect(enqueue?.calls).toBe(1);
    expect(others).toEqual({});
    // its EVALSHA, the records' HSET and the ready list's RPUSH (one partition: ids minted in one ms
    // share it), the ready index's ZADD, the stats' HMGET and HSET, the push info's HMGET and GET:
    // fixed bookkeeping that grows back, or a call per task, fails here
    expect(commands).toBeLessThanOrEqual(9);
    expect(enqueue!.innerPerTask).toBeLessThanOrEqual(8);
  });

  it("sends enqueues that arrive while a call is in flight together in the next call, within the cap", async () => {
    const queue = queueName();
    const { tasks, calls } = recording();
    const first = enqueueAll(queue, [{ fn: "echo", input: "first" }], tasks);
    // The first call is on the wire now; these wait for it to return.
    await new Promise((resolve) => setImmediate(resolve));
    const later = enqueueAll(queue, Array.from({ length: MAX_COALESCED_TASKS + 5 }, (_, n) => ({ fn: "echo", input: n })), tasks);
    const answers = await Promise.all([...first, ...later]);
    expect(calls.map((call) => call.length)).toEqual([1, MAX_COALESCED_TASKS, 5]);
    expect(answers.every((answer) => !(answer instanceof Error))).toBe(true);
    expect((await core.getQueue(queue)).counts.queued).toBe(MAX_COALESCED_TASKS + 6);
  });

  it("fails a request with a bad task alone, naming its field, and changes nothing for it", async () => {
    const queue = queueName();
    const { tasks, calls } = recording();
    const answers = await Promise.all(enqueueAll(queue, [
      { fn: "echo", input: "a" },
      { fn: "echo", input: "bad", id: "not an id!" },
      { fn: "echo", input: "x".repeat(70_000) },
      { fn: "echo", input: "b" },
    ], tasks));
    expect(calls).toEqual([[1, 1, 1, 1]]);
    const [a, badId, tooLarge, b] = answers;
    expect(badId).toBeInstanceOf(ValidationError);
    expect((badId as ValidationError).field).toBe("tasks[0].id");
    expect(tooLarge).toBeInstanceOf(ValidationError);
    expect((tooLarge as ValidationError).field).toBe("tasks[0].input");
    for (const good of [a, b]) {
      if (!good || good instanceof Error) throw good ?? new Error("no answer");
      expect(good.results[0]).toMatchObject({ status: "queued", duplicate: false });
    }
    const summary = await core.getQueue(queue);
    expect(summary.counts.queued).toBe(2);
    expect(summary.counts.enqueued).toBe(2);
  });

  it("keeps client ids and dedup keys idempotent within one coalesced call and across calls", async () => {
    const queue = queueName();
    const { tasks, calls } = recording();
    const given = `client-${Date.now()}`;
    const id = taskIdOf(queue, given);
    const requests: EnqueueRequest[] = [
      { fn: "echo", input: 1, id: given },
      { fn: "echo", input: 2, id },
      { fn: "echo", input: 3, dedupKey: "order-7" },
      { fn: "echo", input: 4, dedupKey: "order-7" },
    ];
    const once = await Promise.all(enqueueAll(queue, requests, tasks));
    const again = await Promise.all(enqueueAll(queue, requests, tasks));
    expect(calls).toEqual([[1, 1, 1, 1], [1, 1, 1, 1]]);
    const answers = [...once, ...again].map((answer) => {
      if (answer instanceof Error) throw answer;
      return answer.results[0]!;
    });
    const deduped = answers[2]!.id;
    expect(answers.map((answer) => [answer.id, answer.duplicate])).toEqual([
      [id, false], [id, true], [deduped, false], [deduped, true],
      [id, true], [id, true], [deduped, true], [deduped, true],
    ]);
    expect((await core.get(id))?.input).toBe(1);
    expect((await core.get(deduped))?.input).toBe(3);
    expect((await core.getQueue(queue)).counts.enqueued).toBe(2);
  });

  it("fails every request of a call that did not reach Redis, so none is acknowledged", async () => {
    const queue = queueName();
    // A port nothing listens on: the call fails before Redis sees it.
    const unreachable = createTaskQueue(new Redis({ url: "http://127.0.0.1:9", token: "x", retry: false, enableTelemetry: false }), { prefix });
    const answers = await Promise.all(enqueueAll(queue, [{ fn: "echo", input: 1 }, { fn: "echo", input: 2 }], unreachable));
    expect(answers.every((answer) => answer instanceof Error)).toBe(true);
    expect((await core.getQueue(queue).catch(() => null))?.counts.enqueued ?? 0).toBe(0);
  });
});
