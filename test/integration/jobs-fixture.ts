/**
 * Jobs through the real runtime, queue core, REST server and redis-server: start a job as
 * POST /v1/jobs does, then let cron invocations drain and fold until it is over.
 */
import { createJobStore } from "../../src/queue/jobs/store";
import type { JobRecord } from "../../src/queue/jobs/types";
import { createTaskQueue } from "../../src/queue/index";
import type { QueueSettingsPatch } from "../../src/queue/types";
import type { JobFunction } from "../../src/runtime/job";
import { startJob } from "../../src/runtime/jobs/start-job";
import { createLogger } from "../../src/runtime/logger";
import type { FunctionRegistry } from "../../src/runtime/registry";
import { handleScheduled } from "../../src/runtime/scheduled";
import type { Receiver } from "../support/qstash-receiver";
import { queueName } from "../support/names";
import { rawTestRedis, testKeyspace } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";

/** The keys of the test file that imports this fixture: its afterAll passes `keys.cleanup`. */
export const keys = testKeyspace("jobs");
export const tasks = createTaskQueue(rawTestRedis(), { prefix: keys.prefix });
export const jobs = createJobStore(rawTestRedis(), { prefix: keys.prefix });
export const log = createLogger("error", {});

/** Starts `job` on a fresh queue with `settings`; returns the job id and queue. */
export async function start(job: JobFunction, input: unknown, settings: QueueSettingsPatch = {}, label = job.name) {
  const queue = queueName(`job-${label}`);
  await tasks.updateSettings(queue, { backoff: { type: "fixed", baseMs: 0, maxMs: 0, jitter: 0 }, ...settings });
  const parsed = job.input.parse(input);
  const started = await startJob(job, parsed, queue, { tasks, jobs, now: Date.now });
  return { ...started, queue };
}

/** Cron invocations for one queue until the job is over (each drains, upkeeps and folds). */
export async function runUntilOver(receiver: Receiver, functions: FunctionRegistry, id: string, queue: string, rounds = 40): Promise<JobRecord> {
  const env = testEnv(`${receiver.base}/ignored`, keys.prefix);
  for (let round = 0; round < rounds; round++) {
    const job = await jobs.get(id);
    if (job && job.status !== "running") return job;
    await handleScheduled(env, { queues: [queue], functions, log });
  }
  throw new Error(`job ${id} still running after ${rounds} cron rounds: ${JSON.stringify(await jobs.get(id))}`);
}

/** Cron invocations until nothing is queued, delayed or running in the queue. */
export async function runUntilIdle(receiver: Receiver, functions: FunctionRegistry, queue: string, rounds = 20): Promise<void> {
  const env = testEnv(`${receiver.base}/ignored`, keys.prefix);
  for (let round = 0; round < rounds; round++) {
    const { counts } = await tasks.getQueue(queue);
    if (counts.queued + counts.delayed + counts.running === 0) return;
    await handleScheduled(env, { queues: [queue], functions, log });
  }
  throw new Error(`queue ${queue} still busy after ${rounds} cron rounds`);
}
