/**
 * A MONITOR trace of the Redis commands one task costs on the push path (enqueue, nudge, push,
 * claim, settle), as redis-server sees them: top-level commands (each one a REST command, in the
 * order sent) and the calls scripts make inside. Only commands on the Worker's keys count: the
 * benchmark's own watching connection and the QStash dev server's message store are left out.
 */
import { Redis } from "ioredis";

export interface RedisTrace {
  tasks: number;
  topLevelPerTask: number;
  scriptInnerPerTask: number;
  /** The top-level commands of the last traced task, in order, each with its time (ms) after the first. */
  sequence: string[];
  /** Per gap between consecutive top-level commands, its median over the tasks with the most common sequence length (ms). */
  gapP50Ms: number[];
}

interface Seen {
  source: string;
  args: string[];
  /** redis-server's clock, seconds with microseconds. */
  time: number;
}

/** EVALSHA carries no script name: its key and argument counts tell the scripts apart well enough. */
function describe(args: string[]): string {
  const [name = "", ...rest] = args;
  const command = name.toUpperCase();
  if (command === "EVALSHA" || command === "EVAL") return `${command} (${rest[1]} keys, ${rest.length - 2 - Number(rest[1])} args)`;
  if (command === "SET" || command === "GET" || command === "INCR") return `${command} ${(rest[0] ?? "").replace(/^.*:/, "…:")}`;
  return command;
}

/** Runs `task` `tasks` times under MONITOR; `settleMs` after each lets trailing commands arrive. */
export async function traceRedis(port: number, ignoreSource: string, tasks: number, task: () => Promise<void>, settleMs = 300, keyPrefix = "edgeq:"): Promise<RedisTrace> {
  const client = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1 });
  // ioredis may report a MONITOR line that races a disconnect as a "command queue state error";
  // a benchmark's trace must not bring the whole run down for it.
  const ignore = () => {};
  client.on("error", ignore);
  const monitor = await client.monitor();
  monitor.on("error", ignore);
  let seen: Seen[] = [];
  monitor.on("monitor", (time: string, args: string[], source: string) => {
    if (source !== ignoreSource && args.some((arg) => arg.startsWith(keyPrefix))) seen.push({ source, args, time: Number(time) });
  });
  let top = 0;
  let inner = 0;
  let sequence: string[] = [];
  const taskGaps: number[][] = [];
  try {
    for (let i = 0; i < tasks; i++) {
      seen = [];
      await task();
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const outer = seen.filter((s) => s.source !== "lua");
      top += outer.length;
      inner += seen.length - outer.length;
      const t0 = outer[0]?.time ?? 0;
      sequence = outer.map((s) => `+${((s.time - t0) * 1000).toFixed(1)} ms ${describe(s.args)}`);
      taskGaps.push(outer.slice(1).map((s, j) => (s.time - outer[j]!.time) * 1000));
    }
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  return { tasks, topLevelPerTask: top / tasks, scriptInnerPerTask: inner / tasks, sequence, gapP50Ms: medianGaps(taskGaps) };
}

function medianGaps(taskGaps: number[][]): number[] {
  const byLength = new Map<number, number[][]>();
  for (const gaps of taskGaps) byLength.set(gaps.length, [...(byLength.get(gaps.length) ?? []), gaps]);
  const common = [...byLength.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return (common[0] ?? []).map((_, j) => Number(median(common.map((gaps) => gaps[j]!)).toFixed(1)));
}
