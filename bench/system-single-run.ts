/**
 * bench/system.ts's single-enqueue pattern (20 clients, one task a request) on a fresh stack with the
 * given Worker processes, cron off: two runs, the second measured, as the system bench takes it.
 * Prints one line of JSON: tasks/s end to end, edgeq Redis commands and QStash messages a task. bench/system-wait-ab.ts (`--single WORKERS`)
 * copies this file into other revisions' trees and alternates them.
 *
 *   node --import tsx bench/system-single-run.ts TASKS WORKERS
 */
import { startStack } from "../dev/stack";
import { RedisProbe } from "./redis-probe";
import { singleEnqueues } from "./system";

export interface SingleRun {
  tasksPerSecond: number;
  commandsPerTask: number;
  messagesPerTask: number;
}

export async function singleRun(tasks: number, workers: number): Promise<SingleRun> {
  const stack = await startStack({ workers, cronEverySeconds: 0, quiet: true });
  const probe = new RedisProbe(`redis://127.0.0.1:${stack.info.redisPort}`);
  try {
    const [rate, commands, messages] = (await singleEnqueues(stack, probe, tasks, workers)).map((row) => Number.parseFloat(row.value));
    return { tasksPerSecond: rate!, commandsPerTask: commands!, messagesPerTask: messages! };
  } finally {
    await probe.close();
    await stack.stop();
  }
}

if (process.argv[1]?.endsWith("system-single-run.ts")) {
  console.log(JSON.stringify(await singleRun(Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 1))));
}
