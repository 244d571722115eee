/**
 * edgeq's no-op throughput: enqueue N tasks in batches, then drain them with worker loops that settle
 * one batch and claim the next in one request (settleAndClaim), as the runtime's drain loop does.
 */
import { randomBytes } from "node:crypto";
import type { ClaimedTask, EnqueueRequest, TaskQueue } from "../src/queue/types";
import type { CpuProbe } from "./cpu";
import type { RedisProbe, CommandCounts } from "./redis-probe";
import { commandDelta } from "./redis-probe";
import type { RestCounter } from "./rest-counter";
import { chunks, commandsPerTask, inParallel, perSecond, range, taskInput, type PhaseCost, type ThroughputResult } from "./workload";

const MEMORY_FILL_BATCH = 1000;

export interface EdgeqRun {
  batch: number;
  loops: number;
  tasks: number;
  /** Also read every result back, to count the lifecycle's last step. */
  readResults: boolean;
  /** Claim and complete as two requests per batch instead of one settleAndClaim (to show what it saves). */
  separateSettle?: boolean;
}

export interface Meters {
  probe: RedisProbe;
  rest: RestCounter;
  cpu: CpuProbe;
}

export function benchQueueName(label: string): string {
  return `bench-${label}-${randomBytes(3).toString("hex")}`;
}

export function noopTasks(count: number, offset = 0): EnqueueRequest[] {
  return range(count).map((i) => ({ fn: "noop", input: taskInput(offset + i) }));
}

export async function drainLoop(queue: TaskQueue, name: string, batch: number, separateSettle: boolean): Promise<number> {
  let done = 0;
  let claimed: ClaimedTask[] = await queue.claim(name, batch);
  while (claimed.length > 0) {
    const completions = claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: null }));
    const next = separateSettle
      ? { outcomes: await queue.complete(name, completions), claimed: await queue.claim(name, batch) }
      : await queue.settleAndClaim(name, { completions, failures: [] }, batch);
    if (next.outcomes.some((outcome) => outcome.outcome !== "succeeded")) throw new Error("a no-op task did not settle as succeeded");
    done += claimed.length;
    claimed = next.claimed;
  }
  return done;
}

/** Measures one phase: Redis commands and REST requests per task between its start and its end. */
async function metered<T>(meters: Meters, tasks: number, phase: () => Promise<T>): Promise<{ value: T; ms: number; cost: PhaseCost; commands: CommandCounts }> {
  const commands0 = await meters.probe.commands();
  const requests0 = meters.rest.requests();
  const started = performance.now();
  const value = await phase();
  const ms = performance.now() - started;
  const commands = commandDelta(commands0, await meters.probe.commands());
  const requests = meters.rest.requests() - requests0;
  return { value, ms, commands, cost: { commands: commands.total / tasks, requests: requests / tasks } };
}

export async function edgeqThroughput(queues: TaskQueue[], meters: Meters, run: EdgeqRun): Promise<ThroughputResult> {
  const name = benchQueueName(`b${run.batch}l${run.loops}`);
  const loops = queues.slice(0, run.loops);
  if (loops.length < run.loops) throw new Error(`need ${run.loops} queue clients, got ${queues.length}`);
  await meters.probe.reset();

  const batches = chunks(noopTasks(run.tasks), run.batch);
  const ids: string[] = [];
  // each loop uses its own client: one client would merge concurrent calls into one request (auto-pipelining)
  const enqueue = await metered(meters, run.tasks, () =>
    inParallel(batches, run.loops, async (batch, loop) => {
      for (const result of await loops[loop]!.enqueue(name, batch)) ids.push(result.id);
    }),
  );

  const cpuDone = meters.cpu.start();
  const drain = await metered(meters, run.tasks, async () => {
    const counts = await Promise.all(loops.map((queue) => drainLoop(queue, name, run.batch, run.separateSettle ?? false)));
    return counts.reduce((a, b) => a + b, 0);
  });
  const cpu = cpuDone(run.tasks);
  if (drain.value !== run.tasks) throw new Error(`drained ${drain.value} of ${run.tasks} tasks`);

  let read: PhaseCost | undefined;
  if (run.readResults) {
    const reading = await metered(meters, run.tasks, () =>
      inParallel(chunks(ids, run.batch), run.loops, async (group, loop) => {
        const records = await loops[loop]!.getMany(group);
        if (records.some((record) => record?.status !== "succeeded")) throw new Error("a result read back is not succeeded");
      }),
    );
    read = reading.cost;
  }

  return {
    system: "edgeq",
    batch: run.batch,
    loops: run.loops,
    ...(run.separateSettle ? { separateSettle: true } : {}),
    tasks: run.tasks,
    enqueuePerSecond: perSecond(run.tasks, enqueue.ms),
    drainPerSecond: perSecond(run.tasks, drain.ms),
    overallPerSecond: perSecond(run.tasks, enqueue.ms + drain.ms),
    enqueue: enqueue.cost,
    drain: drain.cost,
    ...(read ? { read } : {}),
    cpu,
    commandsByName: commandsPerTask([enqueue.commands, drain.commands], run.tasks),
  };
}

/** Bytes of Redis memory per queued task with an INPUT_BYTES input. */
export async function edgeqMemoryPerTask(queues: TaskQueue[], probe: RedisProbe, tasks: number): Promise<number> {
  await probe.reset();
  const name = benchQueueName("memory");
  await queues[0]!.enqueue(name, noopTasks(1)); // the queue's own keys are not per-task memory
  const before = await probe.usedMemory();
  await inParallel(chunks(noopTasks(tasks, 1), MEMORY_FILL_BATCH), queues.length, async (batch, loop) => {
    await queues[loop]!.enqueue(name, batch);
  });
  return ((await probe.usedMemory()) - before) / tasks;
}
