/**
 * One sequential `?wait=` run on a fresh stack (one Worker process, cron off), as bench/system.ts
 * measures it, with what each task cost: REST requests, Redis commands and Redis time in scripts.
 * Prints one line of JSON. bench/system-wait-ab.ts copies this file into other revisions' trees, so
 * it imports only what every revision since the stages were measured has (dev/stack.ts,
 * bench/load-client.ts, bench/redis-probe.ts, bench/workload.ts) and qstash-published.ts, copied with it. Percentiles as bench/system.ts takes them.
 *
 *   node --import tsx bench/system-wait-run.ts TASKS
 */
import { startStack } from "../dev/stack";
import { runLoad } from "./load-client";
import { messagesPublishedSince } from "./qstash-published";
import { commandDelta, RedisProbe } from "./redis-probe";
import { percentile } from "./workload";

export interface WaitRun {
  p50: number;
  p99: number;
  /** Medians (ms): the 202, stored → claimed, claimed → settled, settled → answered. */
  stages: number[];
  restPerTask: number;
  commandsPerTask: number;
  /** Redis time in scripts (EVALSHA, inner calls included), microseconds. */
  scriptUsecPerTask: number;
  /** QStash messages published a task: pushes, or the inline start's safety nets (delayed pushes). */
  messagesPerTask: number;
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

export async function waitRun(tasks: number): Promise<WaitRun> {
  const stack = await startStack({ workers: 1, cronEverySeconds: 0, quiet: true });
  const probe = new RedisProbe(`redis://127.0.0.1:${stack.info.redisPort}`);
  try {
    const load = { url: stack.info.workerUrl, token: stack.info.apiToken, queue: `wait-ab-${Date.now()}` };
    await runLoad({ kind: "wait", ...load, tasks: 5 }); // compiles the route's code paths
    const before = await probe.commands();
    const rest0 = stack.rest.stats().requests;
    const qstashSince = Date.now();
    const { samplesMs, stagesMs } = await runLoad({ kind: "wait", ...load, tasks });
    const delta = commandDelta(before, await probe.commands());
    const usec = (delta.usecByCommand.evalsha ?? 0) + (delta.usecByCommand.eval ?? 0);
    const { enqueue = [], untilClaimed = [], run = [], answer = [] } = stagesMs ?? {};
    return {
      p50: percentile(sorted(samplesMs), 50),
      p99: percentile(sorted(samplesMs), 99),
      stages: [enqueue, untilClaimed, run, answer].map((stage) => percentile(sorted(stage), 50)),
      restPerTask: (stack.rest.stats().requests - rest0) / tasks,
      commandsPerTask: delta.total / tasks,
      scriptUsecPerTask: usec / tasks,
      messagesPerTask: (await messagesPublishedSince(stack.info, qstashSince)) / tasks,
    };
  } finally {
    await probe.close();
    await stack.stop();
  }
}

if (process.argv[1]?.endsWith("system-wait-run.ts")) {
  console.log(JSON.stringify(await waitRun(Number(process.argv[2] ?? 200))));
}
