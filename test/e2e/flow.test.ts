import { describe, expect, it } from "vitest";
import type { Task, TaskRequest } from "../../src/client/index";
import { freshQueue, readTasks, useStack } from "./stack-fixture";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The most of these [start, end) intervals that overlap at any instant. */
function maxOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([start, end]): [number, number][] => [[start, 1], [end, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0, most = 0;
  for (const [, step] of edges) most = Math.max(most, (now += step));
  return most;
}

/** The most starts in any window [t, t + periodMs). */
function maxStartsInWindow(starts: number[], periodMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! < sorted[i]! - periodMs + 1) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

async function finished(ids: string[], read: () => Promise<Task[]>, timeoutMs: number): Promise<Task[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await read();
    if (tasks.every((t) => t.status === "succeeded" || t.status === "dead")) return tasks;
    if (Date.now() > deadline) throw new Error(`not finished in ${timeoutMs} ms: ${JSON.stringify(tasks.map((t) => t.status))}`);
    await pause(500);
  }
}

// The cron is off: tasks held back by a key's limit must be started by the pushes scheduled for the
// moment a slot or token opens, never by the cron.
describe("flow control through the whole stack, the cron off", () => {
  const fixture = useStack({ cronEverySeconds: 0 });

  it("runs 10 keys x 20 sleep tasks of 200 ms with parallelism 2: never more than 2 of a key at once, all finish", async () => {
    const { client } = fixture;
    const queue = freshQueue("flow-par");
    await client.updateQueue(queue, { batchSize: 40, maxParallel: 4 });
    const tasks: TaskRequest[] = [];
    for (let i = 0; i < 20; i++) for (let k = 0; k < 10; k++) tasks.push({ fn: "sleep", input: { ms: 200 }, flowControl: { key: `tenant-${k}`, parallelism: 2 } });
    const { ids } = await client.enqueueMany(queue, tasks);
    const done = await finished(ids, () => readTasks(client, ids), 90_000);
    expect(done.every((t) => t.status === "succeeded")).toBe(true);
    for (let k = 0; k < 10; k++) {
      const mine = done.filter((_, i) => i % 10 === k).map((t): [number, number] => [t.startedAt!, t.finishedAt!]);
      expect(maxOverlap(mine), `tenant-${k}`).toBeLessThanOrEqual(2);
      expect(maxOverlap(mine), `tenant-${k} ran its tasks two at a time`).toBe(2);
    }
  }, 120_000);

  it("never starts more than 5 tasks of a key with rate 5 per second in any second", async () => {
    const { client } = fixture;
    const queue = freshQueue("flow-rate");
    const tasks: TaskRequest[] = Array.from({ length: 15 }, () => ({ fn: "sleep", input: { ms: 10 }, flowControl: { key: "api", rate: 5, period: "1s" } }));
    const { ids } = await client.enqueueMany(queue, tasks);
    const done = await finished(ids, () => readTasks(client, ids), 60_000);
    expect(done.every((t) => t.status === "succeeded")).toBe(true);
    const starts = done.map((t) => t.startedAt!);
    expect(maxStartsInWindow(starts, 1_000)).toBe(5);
    // 15 starts at 5 per second take at least two seconds
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(2_000);
  }, 90_000);
});
