/**
 * The peer: the same no-op workload in BullMQ over direct TCP — jobs added with addBulk, drained by
 * one Worker at concurrency 100, results read back with getJob — and its memory per queued job.
 */
import { randomBytes } from "node:crypto";
import type { CpuProbe } from "./cpu";
import type { BullConnection, BullMQ, BullWorker } from "./peer";
import { commandDelta, type CommandCounts, type RedisProbe } from "./redis-probe";
import { chunks, commandsPerTask, inParallel, perSecond, range, taskInput, type ThroughputResult } from "./workload";

export const BULLMQ_CONCURRENCY = 100;

export interface BullRun {
  tasks: number;
  /** Jobs per addBulk call. */
  batch: number;
}

function queueName(): string {
  return `bench-bull-${randomBytes(3).toString("hex")}`;
}

function jobs(count: number): { name: string; data: unknown }[] {
  return range(count).map((i) => ({ name: "noop", data: taskInput(i) }));
}

async function timed<T>(probe: RedisProbe, work: () => Promise<T>): Promise<{ value: T; ms: number; commands: CommandCounts }> {
  const before = await probe.commands();
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  return { value, ms, commands: commandDelta(before, await probe.commands()) };
}

/** Resolves when the last job completed; the worker's close (which waits out its blocking read) is not timed. */
function drainAll(bull: BullMQ, name: string, connection: BullConnection, tasks: number): Promise<BullWorker> {
  return new Promise((resolve, reject) => {
    let completed = 0;
    const worker = new bull.Worker(name, async () => null, { connection, concurrency: BULLMQ_CONCURRENCY });
    worker.on("failed", (_job, error) => reject(error));
    worker.on("completed", () => {
      completed += 1;
      if (completed === tasks) resolve(worker);
    });
  });
}

export async function bullThroughput(bull: BullMQ, connection: BullConnection, probe: RedisProbe, cpu: CpuProbe, run: BullRun): Promise<ThroughputResult> {
  await probe.reset();
  const name = queueName();
  const queue = new bull.Queue(name, { connection });
  await queue.waitUntilReady();
  try {
    const ids: string[] = [];
    const enqueue = await timed(probe, async () => {
      for (const batch of chunks(jobs(run.tasks), run.batch)) {
        for (const job of await queue.addBulk(batch)) ids.push(String(job.id));
      }
    });
    const cpuDone = cpu.start();
    const drain = await timed(probe, () => drainAll(bull, name, connection, run.tasks));
    const cpuShare = cpuDone(run.tasks);
    await drain.value.close();
    const read = await timed(probe, () =>
      inParallel(ids, BULLMQ_CONCURRENCY, async (id) => {
        const job = await queue.getJob(id);
        if (!job || job.returnvalue !== null) throw new Error(`BullMQ job ${id} has no result`);
      }),
    );
    return {
      system: "bullmq",
      batch: run.batch,
      loops: BULLMQ_CONCURRENCY,
      tasks: run.tasks,
      enqueuePerSecond: perSecond(run.tasks, enqueue.ms),
      drainPerSecond: perSecond(run.tasks, drain.ms),
      overallPerSecond: perSecond(run.tasks, enqueue.ms + drain.ms),
      enqueue: { commands: enqueue.commands.total / run.tasks, requests: null },
      drain: { commands: drain.commands.total / run.tasks, requests: null },
      read: { commands: read.commands.total / run.tasks, requests: null },
      cpu: cpuShare,
      commandsByName: commandsPerTask([enqueue.commands, drain.commands], run.tasks),
    };
  } finally {
    await queue.close();
  }
}

/** Bytes of Redis memory per waiting job with an INPUT_BYTES input (no worker attached). */
export async function bullMemoryPerTask(bull: BullMQ, connection: BullConnection, probe: RedisProbe, tasks: number): Promise<number> {
  await probe.reset();
  const queue = new bull.Queue(queueName(), { connection });
  await queue.waitUntilReady();
  try {
    const before = await probe.usedMemory();
    await inParallel(chunks(jobs(tasks), 1000), 4, async (batch) => void (await queue.addBulk(batch)));
    return ((await probe.usedMemory()) - before) / tasks;
  } finally {
    await queue.close();
  }
}
