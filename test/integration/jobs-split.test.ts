/**
 * Splitting in chunks: the first chunk at start, the rest by the splitter task re-enqueuing itself;
 * a job canceled while it is being split; a split that does not match its count.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineJob } from "../../src/runtime/job";
import { cancelPendingTasks } from "../../src/runtime/jobs/cancel";
import { CHUNKS_PER_RUN, ENQUEUE_CHUNK } from "../../src/runtime/jobs/split";
import { registry } from "../../src/runtime/registry";
import { startReceiver, type Receiver } from "../support/qstash-receiver";
import { jobs, keys, runUntilIdle, runUntilOver, start, tasks } from "./jobs-fixture";
import { taskIdOf } from "../../src/queue/ids";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await keys.cleanup();
});

// Task i contributes i + 1; `count` may lie, to show what a split that does not match does.
const sum = (lie = 0) =>
  defineJob({
    name: "sum",
    input: z.object({ n: z.int() }),
    count: ({ n }) => n + lie,
    *split({ n }) {
      for (let i = 0; i < n; i++) yield i;
    },
    map: (i: number) => i + 1,
    initial: () => 0,
    reduce: (acc: number, part: number) => acc + part,
  });

describe("splitting a job in chunks", () => {
  const n = ENQUEUE_CHUNK * (CHUNKS_PER_RUN + 2) + 500;

  it(`a job of ${n} tasks: the splitter continues from its offset until every task exists, and the sum is exact`, async () => {
    const job = sum();
    const { id, queue, total } = await start(job, { n }, { batchSize: 500 });
    expect(total).toBe(n);
    expect((await tasks.getQueue(queue)).counts.enqueued).toBe(ENQUEUE_CHUNK + 1);
    const finished = await runUntilOver(receiver, registry([], [job]), id, queue);
    expect(finished).toMatchObject({ status: "succeeded", done: n, failed: 0, result: (n * (n + 1)) / 2 });
    const splitters = await tasks.getMany([`${id}-split-${ENQUEUE_CHUNK}`, `${id}-split-${ENQUEUE_CHUNK * (CHUNKS_PER_RUN + 1)}`].map((local) => taskIdOf(queue, local)));
    expect(splitters.map((task) => task?.status)).toEqual(["succeeded", "succeeded"]);
    expect((await tasks.getQueue(queue)).counts.enqueued).toBe(n + 2);
  }, 60_000);

  it("a job canceled before its splitter ran: the splitter stops, every task that exists is canceled", async () => {
    const job = sum();
    const { id, queue } = await start(job, { n }, { paused: true });
    expect(await jobs.finish(id, "canceled", "canceled by request")).toBe(true);
    await cancelPendingTasks({ id, queue, total: n }, { tasks, jobs });
    await tasks.updateSettings(queue, { paused: false });
    await runUntilIdle(receiver, registry([], [job]), queue);
    const { counts } = await tasks.getQueue(queue);
    // Nothing beyond the first chunk was enqueued: the splitter found the job over. The canceler
    // task went through the ids past the first 5,000.
    expect(counts).toMatchObject({ queued: 0, running: 0, canceled: ENQUEUE_CHUNK, enqueued: ENQUEUE_CHUNK + 2 });
    expect(await tasks.get(taskIdOf(queue, `${id}-split-${ENQUEUE_CHUNK}`))).toMatchObject({ status: "succeeded", result: { skipped: "canceled" } });
    expect(await tasks.get(taskIdOf(queue, `${id}-cancel-5000`))).toMatchObject({ status: "succeeded", result: { next: null } });
    expect(await jobs.get(id)).toMatchObject({ status: "canceled", done: 0 });
  });

  it("a split that yields another number of items than counted fails the job, naming why", async () => {
    const job = sum(3);
    await expect(start(job, { n: 50 })).rejects.toThrow(/split yielded 50 items where the job counted 53/);
    // Found by the splitter, past the first chunk: the job fails and its queued tasks are canceled.
    const { id, queue } = await start(job, { n: ENQUEUE_CHUNK + 50 }, { paused: true });
    await tasks.updateSettings(queue, { paused: false });
    await runUntilIdle(receiver, registry([], [job]), queue);
    const failed = await jobs.get(id);
    expect(failed?.status).toBe("failed");
    expect(failed?.error).toMatch(/splitting failed: split yielded 1050 items where the job counted 1053/);
    expect((await tasks.getQueue(queue)).counts.succeeded + (await tasks.getQueue(queue)).counts.canceled).toBe(ENQUEUE_CHUNK + 1);
  });
});
