/** A queue core over the shared REST server, isolated by a random key prefix, with a clock the test moves. */
import { afterAll } from "vitest";
import { createTaskQueue, type TaskQueueOptions } from "../../src/queue/index";
import type { TaskQueue } from "../../src/queue/types";
import { RAW_REPLIES, testKeyspace, testRedis } from "../support/redis-client";

export interface QueueFixture {
  queue: TaskQueue;
  prefix: string;
  clock: { now: number };
  advance(ms: number): void;
  /** Another TaskQueue on the same keys and clock (e.g. with other options or client settings). */
  another(options?: Omit<TaskQueueOptions, "prefix" | "now">, client?: Parameters<typeof testRedis>[0]): TaskQueue;
}

/** Call at the top of a describe: keys are deleted after the file. */
export function queueFixture(options: Omit<TaskQueueOptions, "prefix" | "now"> = {}): QueueFixture {
  const { prefix, cleanup } = testKeyspace("queue");
  const clock = { now: 1_750_000_000_000 };
  const make = (opts: Omit<TaskQueueOptions, "prefix" | "now">, client: Parameters<typeof testRedis>[0] = RAW_REPLIES) =>
    createTaskQueue(testRedis(client), { prefix, now: () => clock.now, ...opts });
  afterAll(cleanup);
  return {
    queue: make(options),
    prefix,
    clock,
    advance: (ms) => void (clock.now += ms),
    another: (opts = {}, client = RAW_REPLIES) => make({ ...options, ...opts }, client),
  };
}

export { queueName } from "../support/names";
