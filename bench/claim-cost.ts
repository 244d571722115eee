/**
 * Claim cost against queue depth: a claim of one batch with few tasks queued versus with very many.
 * Both queues are filled first, then the samples alternate between them (which goes first alternates
 * too), so that the machine's load, which varies over a run, weighs on both depths alike: a one-shot
 * measure of each depth in turn swung 0.7–1.3× from run to run on a shared 2-core machine. Each sample
 * claims one batch at a steady depth (the claimed tasks are completed and as many new ones enqueued,
 * untimed, before the next sample), timed by the client (round trip through the REST server) and by
 * redis-server itself (the script's microseconds in INFO commandstats).
 */
import type { EnqueueRequest, TaskQueue } from "../src/queue/types";
import { benchQueueName, noopTasks } from "./edgeq-workload";
import { commandDelta, type RedisProbe } from "./redis-probe";
import { chunks, inParallel, percentile } from "./workload";

export const CLAIM_BATCH = 100;
const FILL_BATCH = 1000;

export interface ClaimCostAtDepth {
  depth: number;
  samples: number;
  /** Round trip of one claim through the REST server, milliseconds. */
  clientP50Ms: number;
  clientP99Ms: number;
  /** Time redis-server spent in the claim script, microseconds, median over samples. */
  serverP50Us: number;
  fillSeconds: number;
}

type Tasks = (count: number, offset: number) => EnqueueRequest[];

/** Enqueues depth tasks into the queue `name` in requests of 1,000 over the clients; seconds taken. */
export async function fillQueue(queues: TaskQueue[], name: string, depth: number, tasks: Tasks): Promise<number> {
  const started = performance.now();
  await inParallel(chunks(tasks(depth, 0), FILL_BATCH), queues.length, async (batch, loop) => {
    await queues[loop]!.enqueue(name, batch);
  });
  return (performance.now() - started) / 1000;
}

/** One timed claim of CLAIM_BATCH (client ms, script µs); the batch is then completed and replaced. */
async function sample(queue: TaskQueue, probe: RedisProbe, name: string, tasks: Tasks, offset: number): Promise<[number, number]> {
  const before = await probe.commands();
  const started = performance.now();
  const claimed = await queue.claim(name, CLAIM_BATCH);
  const client = performance.now() - started;
  const delta = commandDelta(before, await probe.commands());
  if (claimed.length !== CLAIM_BATCH) throw new Error(`claimed ${claimed.length} of ${CLAIM_BATCH} from ${name}`);
  await queue.complete(name, claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: null })));
  await queue.enqueue(name, tasks(CLAIM_BATCH, offset));
  return [client, (delta.usecByCommand.evalsha ?? 0) + (delta.usecByCommand.eval ?? 0)];
}

/**
 * The claim's cost at each depth, sampled in alternation (one queue per depth, all filled first).
 * `tasks` makes the queued tasks (no-op ones by default).
 */
export async function claimCostAtDepths(
  queues: TaskQueue[],
  probe: RedisProbe,
  depths: number[],
  samples: number,
  tasks: Tasks = noopTasks,
): Promise<ClaimCostAtDepth[]> {
  await probe.reset();
  const names = depths.map((depth) => benchQueueName(`claim${depth}`));
  const fills: number[] = [];
  for (const [i, depth] of depths.entries()) fills.push(await fillQueue(queues, names[i]!, depth, tasks));
  const client: number[][] = depths.map(() => []);
  const server: number[][] = depths.map(() => []);
  for (let s = 0; s < samples; s++) {
    const order = s % 2 === 0 ? depths.map((_, i) => i) : depths.map((_, i) => depths.length - 1 - i);
    for (const i of order) {
      const [c, t] = await sample(queues[0]!, probe, names[i]!, tasks, depths[i]! + s * CLAIM_BATCH);
      client[i]!.push(c);
      server[i]!.push(t);
    }
  }
  return depths.map((depth, i) => {
    const c = client[i]!.sort((a, b) => a - b);
    const t = server[i]!.sort((a, b) => a - b);
    return { depth, samples, clientP50Ms: percentile(c, 50), clientP99Ms: percentile(c, 99), serverP50Us: percentile(t, 50), fillSeconds: fills[i]! };
  });
}
