/**
 * The workload of the chaos tests: `flaky` tasks whose failing attempts come from a hash of (task,
 * attempt) — about one call in ten throws, the same on every run — plus tasks planned to go dead
 * and tasks planned to be canceled, and the checks that every one of them ended as planned.
 */
import { Redis as DirectRedis } from "ioredis";
import { expect } from "vitest";
import { estimatePi } from "../../functions/estimate-pi";
import { mixSeed, seededRandom } from "../../functions/seeded-random";
import { restRedis } from "../support/redis-client";
import type { StackInfo } from "../../dev/stack";
import { EdgeqHttpError, type EdgeqClient, type QueueCounts, type TaskRequest } from "../../src/client/index";
import { createTaskQueue } from "../../src/queue/index";
import type { TaskRecord } from "../../src/queue/types";

export type Plan = "succeed" | "die" | "cancel";

export interface PlannedTask {
  index: number;
  plan: Plan;
  /** Attempts `flaky` fails before it succeeds. */
  failures: number;
  input: TaskRequest;
}

export const THROW_SHARE = 0.1;
const DEAD_EVERY = 100;
const CANCELED_EVERY = 50;

/** Leading attempts of task `index` that throw: attempt a throws when hash(index, a) < THROW_SHARE. */
export function plannedFailures(seed: number, index: number): number {
  let failures = 0;
  while (failures < 100 && seededRandom(mixSeed(seed, index, failures + 1))() < THROW_SHARE) failures++;
  return failures;
}

export function planTasks(seed: number, count: number): PlannedTask[] {
  return Array.from({ length: count }, (_, index): PlannedTask => {
    // Tasks that fail more often than they may be attempted go dead; canceled ones wait an hour first.
    if (index % DEAD_EVERY === 7) {
      return { index, plan: "die", failures: 100, input: { fn: "flaky", input: { failures: 100, value: index }, maxAttempts: 2, timeout: "2s" } };
    }
    if (index % CANCELED_EVERY === 3) {
      return { index, plan: "cancel", failures: 0, input: { fn: "flaky", input: { failures: 0, value: index }, delay: "1h" } };
    }
    const failures = plannedFailures(seed, index);
    return { index, plan: "succeed", failures, input: { fn: "flaky", input: { failures, value: index }, timeout: "2s" } };
  });
}

/** Enqueues in chunks, a few requests at a time; the client gives each task its id. */
export async function enqueuePlanned(client: EdgeqClient, queue: string, tasks: PlannedTask[], chunk = 500): Promise<string[]> {
  const chunks: PlannedTask[][] = [];
  for (let i = 0; i < tasks.length; i += chunk) chunks.push(tasks.slice(i, i + chunk));
  const ids = await inParallel(chunks, 4, async (part) => (await client.enqueueMany(queue, part.map((task) => task.input))).ids);
  return ids.flat();
}

/**
 * Enqueues one task a request, one after another with a pause between: their queue goes idle between
 * them, so that many start it inline (src/runtime/inline-start.ts) rather than finding it live.
 */
export async function enqueueSingly(client: EdgeqClient, queue: string, tasks: PlannedTask[], pauseMs = 20): Promise<string[]> {
  const ids: string[] = [];
  for (const task of tasks) {
    ids.push((await client.enqueue(queue, task.input)).id);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return ids;
}

/** Cancels each task; a 409 may be the answer to a retry whose first try canceled it (checked later). */
export async function cancelAll(client: EdgeqClient, ids: string[]): Promise<void> {
  await inParallel(ids, 16, (id) =>
    client.cancelTask(id).catch((error: unknown) => {
      if (!(error instanceof EdgeqHttpError && error.status === 409)) throw error;
    }),
  );
}

export async function inParallel<T, R>(items: T[], width: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return results;
}

/** Waits until nothing is queued, delayed or running and `total` tasks are settled. */
export async function settled(client: EdgeqClient, queue: string, total: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let counts: Partial<QueueCounts> = {};
  while (Date.now() < deadline) {
    counts = (await client.getQueue(queue)).counts;
    const done = (counts.succeeded ?? 0) + (counts.dead ?? 0) + (counts.canceled ?? 0);
    if (done >= total && !counts.queued && !counts.delayed && !counts.running) return counts;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new UnsettledError(`queue ${queue} not settled in ${timeoutMs} ms: ${JSON.stringify(counts)}`, counts);
}

export class UnsettledError extends Error {
  constructor(
    message: string,
    readonly counts: Partial<QueueCounts>,
  ) {
    super(message);
  }
}

/**
 * Reads every task by id, straight from Redis through the REST server (a few hundred per request;
 * one HTTP read per task through the Worker would take minutes), and checks it ended as planned.
 * A missing record counts as lost. A succeeded task's result names the attempt that produced it:
 * anything but the task's last attempt is a result written under a stale lease.
 */
export async function checkOutcomes(info: StackInfo, ids: string[], tasks: PlannedTask[]) {
  const store = createTaskQueue(restRedis(info.redisRestUrl, info.redisRestToken));
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += 500) chunks.push(ids.slice(i, i + 500));
  const read = (await inParallel(chunks, 4, (chunk) => store.getMany(chunk))).flat();
  const byStatus: Record<string, number> = {};
  const staleResults: string[] = [];
  read.forEach((task: TaskRecord | null, position) => {
    const planned = tasks[position]!;
    if (!task) {
      byStatus.lost = (byStatus.lost ?? 0) + 1;
      return;
    }
    byStatus[task.status] = (byStatus[task.status] ?? 0) + 1;
    expect(task.id).toBe(ids[position]);
    if (planned.plan === "cancel") expect(task.status, task.id).toBe("canceled");
    if (planned.plan === "die") expect(task, task.id).toMatchObject({ status: "dead", attempts: 2 });
    if (planned.plan === "succeed") {
      expect(task.status, `${task.id}: ${task.error ?? ""}`).toBe("succeeded");
      const result = task.result as { attempt: number; value: number };
      expect(result.value).toBe(planned.index);
      expect(result.attempt).toBeGreaterThan(planned.failures);
      if (result.attempt !== task.attempts) staleResults.push(task.id);
    }
  });
  return { byStatus, staleResults, read };
}

/**
 * What a run that did not settle left behind, for its failure message: the tasks not in a final state
 * as their records hold them (status, attempts, when the last attempt started, how long ago) beside
 * the queue's counters, so a stall tells a lease never reclaimed from a counter gone astray.
 */
export async function describeUnsettled(info: StackInfo, ids: string[], counts: Partial<QueueCounts>, now = Date.now()) {
  const store = createTaskQueue(restRedis(info.redisRestUrl, info.redisRestToken));
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += 500) chunks.push(ids.slice(i, i + 500));
  const read = (await inParallel(chunks, 4, (chunk) => store.getMany(chunk))).flat();
  const open = read.filter((task): task is TaskRecord => task !== null && !["succeeded", "dead", "canceled"].includes(task.status));
  const byStatus: Record<string, number> = {};
  for (const task of read) byStatus[task?.status ?? "lost"] = (byStatus[task?.status ?? "lost"] ?? 0) + 1;
  const sample = open.slice(0, 12).map((task) => ({
    id: task.id,
    status: task.status,
    attempts: task.attempts,
    startedMsAgo: task.startedAt === null ? null : now - task.startedAt,
    runAtMsAgo: task.runAt === null ? null : now - task.runAt,
    error: task.error?.slice(0, 120),
  }));
  const where = open.length > 0 ? await locate(info.redisPort, open.slice(0, 3).map((task) => task.id)) : {};
  return JSON.stringify({ counters: counts, recordsByStatus: byStatus, open: open.length, sample, where });
}

/** Every key of the tasks' queue that holds each id (member, element or field), with the queue's meta and index sets. */
async function locate(redisPort: number, ids: string[]) {
  const redis = new DirectRedis(redisPort);
  try {
    const queue = ids[0]!.slice(0, ids[0]!.indexOf("~"));
    const keys = await redis.keys(`*{${queue}}*`);
    const found: Record<string, string[]> = Object.fromEntries(ids.map((id) => [id, []]));
    const indexes: Record<string, unknown> = {};
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === "zset") {
        const members = await redis.zrange(key, 0, -1, "WITHSCORES");
        if (/:(rparts|pparts|dparts|xparts|sweep|flow:parts)$/.test(key)) indexes[key] = members.slice(0, 40);
        for (const id of ids) for (let i = 0; i < members.length; i += 2) if (members[i]!.includes(id.slice(queue.length + 1))) found[id]!.push(`${key} (score ${members[i + 1]})`);
      } else if (type === "list") {
        const items = await redis.lrange(key, 0, -1);
        for (const id of ids) if (items.some((item) => item.includes(id.slice(queue.length + 1)))) found[id]!.push(`${key} (list of ${items.length})`);
      } else if (type === "hash") {
        if (key.endsWith(":meta")) indexes[key] = await redis.hgetall(key);
        const fields = await redis.hkeys(key);
        for (const id of ids) if (fields.some((field) => field.includes(id.slice(queue.length + 1)))) found[id]!.push(`${key} (hash)`);
      }
    }
    return { found, indexes };
  } finally {
    redis.disconnect();
  }
}

/** The HTTP API shows a sample of the tasks as the store holds them. */
export async function checkApiAgrees(client: EdgeqClient, stored: (TaskRecord | null)[], every = 40) {
  const sample = stored.filter((task, index): task is TaskRecord => task !== null && index % every === 0);
  const shown = await inParallel(sample, 16, (task) => client.getTask(task.id));
  shown.forEach((task, index) => {
    const { id, status, attempts, result } = sample[index]!;
    expect(task).toMatchObject({ id, status, attempts, ...(status === "succeeded" ? { result } : {}) });
  });
  return shown.length;
}

/** estimate-pi computed in this process: the answer a distributed run must match to the last point. */
export function estimatePiDirect(input: { tasks: number; samples: number; seed: number }): { pi: number; inside: number; samples: number } {
  let acc = estimatePi.initial(input);
  for (const item of estimatePi.split(input)) acc = estimatePi.reduce(acc, estimatePi.map(item, undefined as never) as { inside: number; samples: number });
  return estimatePi.finalize!(acc, input) as { pi: number; inside: number; samples: number };
}

/**
 * Waits for a job to finish, bounded. Plain reads, not `?wait=`: a long poll is a dozen Redis reads,
 * and with one Redis request in seven failing most long polls would end in a 500.
 */
export async function jobFinished(client: EdgeqClient, id: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let job = await client.getJob(id);
  while (job.status === "running" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    job = await client.getJob(id);
  }
  return job;
}
