/**
 * Issue 11's bulk row, both systems in the same run on the stack's redis-server: edgeq takes
 * `tasks` echo tasks over HTTP in requests of 1,000 (one request at a time) and drains them by
 * QStash pushes alone; BullMQ takes the same number with addBulk in chunks of 1,000 (one at a
 * time), then a Worker at concurrency 100 drains them. End to end, from the first enqueue until the
 * last task is done. BullMQ's run flushes the database, so this goes last on a stack.
 */
import type { Stack } from "../dev/stack";
import { bullThroughput } from "./bullmq-workload";
import { cpuProbe } from "./cpu";
import { queueClients } from "./edgeq-client";
import { benchQueueName } from "./edgeq-workload";
import { loadBullMQ } from "./peer";
import type { RedisProbe } from "./redis-probe";
import { chunks, range, taskInput } from "./workload";

const REQUEST_TASKS = 1_000;
const DRAIN_TIMEOUT_MS = 180_000;
const POLL_MS = 25;

async function edgeqBulk(stack: Stack, tasks: number): Promise<number> {
  const queue = benchQueueName("bulk");
  const headers = { authorization: `Bearer ${stack.info.apiToken}`, "content-type": "application/json" };
  // Progress is read through the REST server (whose script-flag rewriting redis-server 7.0 needs), not
  // the Worker, so that watching takes no Worker time.
  const watch = queueClients({ restUrl: stack.info.redisRestUrl, restToken: stack.info.redisRestToken }, 1)[0]!;
  const started = performance.now();
  for (const batch of chunks(range(tasks), REQUEST_TASKS)) {
    const body = JSON.stringify({ tasks: batch.map((n) => ({ fn: "echo", input: taskInput(n) })) });
    const response = await fetch(`${stack.info.workerUrl}/v1/queues/${queue}/tasks`, { method: "POST", headers, body });
    if (!response.ok) throw new Error(`bulk enqueue answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
    await response.arrayBuffer();
  }
  for (;;) {
    const { counts } = await watch.getQueue(queue);
    const elapsed = performance.now() - started;
    if (counts.succeeded >= tasks) return (tasks * 1000) / elapsed;
    if (elapsed > DRAIN_TIMEOUT_MS) throw new Error(`only ${counts.succeeded} of ${tasks} bulk tasks done after ${DRAIN_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Tasks per second end to end for each system, from the same run on the same redis-server. */
export async function bulkVersusBullmq(stack: Stack, probe: RedisProbe, tasks: number): Promise<{ edgeq: number; bullmq: number }> {
  const edgeq = await edgeqBulk(stack, tasks);
  const bull = await loadBullMQ();
  const cpu = cpuProbe({ rest: process.pid, redis: stack.redis.process.pid! });
  const connection = { host: "127.0.0.1", port: stack.info.redisPort, maxRetriesPerRequest: null };
  const bullmq = await bullThroughput(bull, connection, probe, cpu, { tasks, batch: REQUEST_TASKS });
  return { edgeq, bullmq: bullmq.overallPerSecond };
}
