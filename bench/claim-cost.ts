/**
 * Claim cost against queue depth: a claim of one batch with few tasks queued versus with very many.
 * Each sample claims one batch at a steady depth (the claimed tasks are completed and as many new
 * ones enqueued, untimed, before the next sample), timed by the client (round trip through the REST
 * server) and by redis-server itself (the script's microseconds in INFO commandstats).
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

function scriptMicros(delta: ReturnType<typeof commandDelta>): number {
  return (delta.usecByCommand.evalsha ?? 0) + (delta.usecByCommand.eval ?? 0);
}

/** `tasks` makes the queued tasks (no-op ones by default; bench/flow.ts gives them flow-control keys). */
export async function claimCostAt(
  queues: TaskQueue[],
  probe: RedisProbe,
  depth: number,
  samples: number,
  tasks: (count: number, offset: number) => EnqueueRequest[] = noopTasks,
): Promise<ClaimCostAtDepth> {
  await probe.reset();
  const queue = queues[0]!;
  const name = benchQueueName(`claim${depth}`);
  const fillStarted = performance.now();
  await inParallel(chunks(tasks(depth, 0), FILL_BATCH), queues.length, async (batch, loop) => {
    await queues[loop]!.enqueue(name, batch);
  });
  const fillSeconds = (performance.now() - fillStarted) / 1000;

  const client: number[] = [];
  const server: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const before = await probe.commands();
    const started = performance.now();
    const claimed = await queue.claim(name, CLAIM_BATCH);
    client.push(performance.now() - started);
    server.push(scriptMicros(commandDelta(before, await probe.commands())));
    if (claimed.length !== CLAIM_BATCH) throw new Error(`claimed ${claimed.length} of ${CLAIM_BATCH} at depth ${depth}`);
    await queue.complete(name, claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: null })));
    await queue.enqueue(name, tasks(CLAIM_BATCH, depth + sample * CLAIM_BATCH));
  }
  client.sort((a, b) => a - b);
  server.sort((a, b) => a - b);
  return {
    depth,
    samples,
    clientP50Ms: percentile(client, 50),
    clientP99Ms: percentile(client, 99),
    serverP50Us: percentile(server, 50),
    fillSeconds,
  };
}
