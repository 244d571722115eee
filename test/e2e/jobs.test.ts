/**
 * Map-reduce jobs through the whole local stack as a user runs them: started over HTTP, split,
 * drained by QStash pushes and the cron stand-in on the stack's Worker (workerd), folded, followed by server-sent
 * events until the result. One stack for the file.
 */
import { describe, expect, it } from "vitest";
import { EdgeqHttpError, type JobEvent } from "../../src/client/index";
import { estimatePiDirect } from "../support/direct";
import { freshQueue as queue, readTasks, useStack } from "./stack-fixture";

const local = useStack({ cronEverySeconds: 2 });

describe("jobs on the local stack", () => {
  const client = () => local.client;
  it("a job of 10,000 map tasks completes: progress events in order, ending with the result", async () => {
    const name = queue("pi");
    await client().updateQueue(name, { batchSize: 100, maxParallel: 8, leaseMs: 10_000 });
    const started = Date.now();
    const { id, total } = await client().startJob("estimate-pi", { tasks: 10_000, samples: 200, seed: 3 }, name);
    expect(total).toBe(10_000);

    const events: JobEvent[] = [];
    for await (const event of client().jobEvents(id)) events.push(event);
    const seconds = (Date.now() - started) / 1000;
    console.log(`10,000-task job: ${seconds.toFixed(1)} s wall, ${(10_000 / seconds).toFixed(0)} tasks/s, ${events.length} events`);

    const last = events.at(-1)!;
    expect(last.event).toBe("result");
    expect(last.data).toMatchObject({ id, status: "succeeded", total: 10_000, done: 10_000, failed: 0 });
    expect(last.data.result).toEqual(estimatePiDirect(10_000, 200, 3));
    const progress = events.slice(0, -1);
    expect(progress.every((event) => event.event === "progress")).toBe(true);
    const done = events.map((event) => event.data.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(new Set(done).size).toBe(done.length);
    expect(await client().getJob(id)).toMatchObject({ status: "succeeded", done: 10_000, result: last.data.result });
  }, 90_000);

  it("a worker process killed mid-job: its batches come back after their lease (the map timeout, 15 s) and each result is folded once", async () => {
    const name = queue("crash");
    await client().updateQueue(name, { batchSize: 10, maxParallel: 4, leaseMs: 5_000 });
    const { id, total } = await client().startJob("primes-below", { below: 300_000_000, tasks: 300 }, name);
    let job = await client().getJob(id);
    for (let i = 0; i < 100 && job.done < 20; i++) job = await client().getJob(id, 1);
    expect(job.status).toBe("running");
    await local.stack.restartWorker(0);
    const finished = await client().getJob(id, 30).then((j) => (j.status === "running" ? client().getJob(id, 30) : j));
    expect(finished).toMatchObject({ status: "succeeded", total, done: total, failed: 0, result: { below: 300_000_000, primes: 16_252_325 } });
    // The batches the killed process held were reclaimed when their leases ran out, and rerun:
    // the kill hit, so some map tasks took a second attempt (and were still folded once, above).
    expect((await client().getQueue(name)).counts).toMatchObject({ succeeded: total, dead: 0 });
    // a job's map tasks are `<queue>~<job id>-<index>`
    const mapTasks = await readTasks(client(), Array.from({ length: total }, (_, i) => `${name}~${id}-${i}`));
    expect(mapTasks.filter((task) => task.attempts >= 2).length).toBeGreaterThan(0);
  }, 90_000);

  it("?wait= returns the finished job; DELETE cancels a running job and its pending tasks", async () => {
    const small = queue("wait");
    const { id } = await client().startJob("primes-below", { below: 100_000, tasks: 10 }, small);
    expect(await client().getJob(id, 20)).toMatchObject({ status: "succeeded", result: { below: 100_000, primes: 9_592 } });

    const paused = queue("cancel");
    await client().pauseQueue(paused);
    const job = await client().startJob("primes-below", { below: 3_000_000, tasks: 1_500 }, paused);
    expect(await client().cancelJob(job.id)).toEqual({ id: job.id, status: "canceled" });
    expect(await client().getJob(job.id)).toMatchObject({ status: "canceled", done: 0 });
    expect(await client().getTask(`${paused}~${job.id}-0`)).toMatchObject({ status: "canceled", jobId: job.id });
    expect(await client().getTask(`${paused}~${job.id}-999`)).toMatchObject({ status: "canceled" });
    await expect(client().cancelJob(job.id)).rejects.toMatchObject({ status: 409 });
  }, 60_000);

  it("refuses a task function as a job, bad input, map steps as tasks, and unknown jobs", async () => {
    const refused = async (promise: Promise<unknown>) => {
      const error = await promise.then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(EdgeqHttpError);
      return error as EdgeqHttpError;
    };
    const taskAsJob = await refused(client().startJob("echo", {}));
    expect(taskAsJob.status).toBe(400);
    expect(taskAsJob.problem.errors?.[0]).toMatchObject({ field: "fn" });
    expect(taskAsJob.problem.detail).toMatch(/task function/);
    const badInput = await refused(client().startJob("primes-below", { below: 10, tasks: 0 }));
    expect(badInput.problem.errors?.[0]?.field).toBe("input.tasks");
    const mapAsTask = await refused(client().enqueue(queue("map"), { fn: "primes-below", input: { from: 0, to: 10 } }));
    expect(mapAsTask.problem.errors?.[0]?.field).toBe("fn");
    expect((await refused(client().getJob("NO-SUCH-JOB"))).status).toBe(404);
    const listed = (await client().listFunctions()).functions.filter((fn) => fn.kind === "job").map((fn) => fn.name);
    expect(listed.sort()).toEqual(["corpus-word-frequencies", "estimate-pi", "log-stats", "primes-below"]);
  });
});
