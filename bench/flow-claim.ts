/**
 * The claim script's time with many flow-control keys versus one (bench/flow.ts), sampled in
 * alternation: both queues are filled to the same depth first, then each sample claims one batch
 * from each in turn (completing it and enqueuing as many, untimed), so that the machine's load, which
 * varies over a run, weighs on both alike. Time is redis-server's own (INFO commandstats).
 */
import type { EnqueueRequest, TaskQueue } from "../src/queue/types";
import { CLAIM_BATCH, fillQueue, type ClaimCostAtDepth } from "./claim-cost";
import { benchQueueName } from "./edgeq-workload";
import { commandDelta, type RedisProbe } from "./redis-probe";
import { percentile } from "./workload";

type Tasks = (count: number, offset: number) => EnqueueRequest[];

/** One claim of CLAIM_BATCH: its client and server times; then the batch is completed and replaced. */
async function sample(queue: TaskQueue, probe: RedisProbe, name: string, tasks: Tasks, offset: number, calls: Record<string, number>): Promise<[number, number]> {
  const before = await probe.commands();
  const started = performance.now();
  const claimed = await queue.claim(name, CLAIM_BATCH);
  const client = performance.now() - started;
  const delta = commandDelta(before, await probe.commands());
  for (const [command, n] of Object.entries(delta.byCommand)) calls[command] = (calls[command] ?? 0) + n;
  if (claimed.length !== CLAIM_BATCH) throw new Error(`claimed ${claimed.length} of ${CLAIM_BATCH} from ${name}`);
  await queue.complete(name, claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: null })));
  await queue.enqueue(name, tasks(CLAIM_BATCH, offset));
  return [client, (delta.usecByCommand.evalsha ?? 0) + (delta.usecByCommand.eval ?? 0)];
}

/** Claim cost at `depth` queued for each of the task makers, sampled in alternation. */
export async function interleavedClaimCost(
  queues: TaskQueue[],
  probe: RedisProbe,
  depth: number,
  samples: number,
  variants: Tasks[],
): Promise<(ClaimCostAtDepth & { commandsPerClaim: Record<string, number> })[]> {
  await probe.reset();
  const names = variants.map((_, i) => benchQueueName(`flowclaim${i}`));
  const fills: number[] = [];
  for (const [i, tasks] of variants.entries()) fills.push(await fillQueue(queues, names[i]!, depth, tasks));
  const client: number[][] = variants.map(() => []);
  const server: number[][] = variants.map(() => []);
  const calls: Record<string, number>[] = variants.map(() => ({}));
  for (let s = 0; s < samples; s++) {
    // alternate which goes first, so that neither always follows the other's writes
    const order = s % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => variants.length - 1 - i);
    for (const i of order) {
      const [c, t] = await sample(queues[0]!, probe, names[i]!, variants[i]!, depth + s * CLAIM_BATCH, calls[i]!);
      client[i]!.push(c);
      server[i]!.push(t);
    }
  }
  return variants.map((_, i) => {
    const c = client[i]!.sort((a, b) => a - b);
    const t = server[i]!.sort((a, b) => a - b);
    const commandsPerClaim = Object.fromEntries(Object.entries(calls[i]!).map(([command, n]) => [command, +(n / samples).toFixed(2)]));
    return { depth, samples, clientP50Ms: percentile(c, 50), clientP99Ms: percentile(c, 99), serverP50Us: percentile(t, 50), fillSeconds: fills[i]!, commandsPerClaim };
  });
}
