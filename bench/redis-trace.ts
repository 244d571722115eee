/**
 * A MONITOR trace of the Redis commands one task costs on the push path (enqueue, its push,
 * claim, settle), as redis-server sees them: top-level commands (each one a REST command, in the
 * order sent) and the calls scripts make inside. Only commands on the Worker's keys count: the
 * benchmark's own watching connection and the QStash dev server's message store are left out.
 */
import { createConnection } from "node:net";

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
export function describe(args: string[]): string {
  const [name = "", ...rest] = args;
  const command = name.toUpperCase();
  if (command === "EVALSHA" || command === "EVAL") return `${command} (${rest[1]} keys, ${rest.length - 2 - Number(rest[1])} args)`;
  if (command === "SET" || command === "GET" || command === "INCR") return `${command} ${(rest[0] ?? "").replace(/^.*:/, "…:")}`;
  return command;
}

/** The quoted arguments of one MONITOR line, unescaped (redis-server writes them as sds "repr"). */
function monitorArgs(text: string): string[] {
  const args: string[] = [];
  for (const [, quoted] of text.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    args.push(quoted!.replace(/\\(x[0-9a-f]{2}|.)/g, (_, escape: string) =>
      escape.length === 3 ? String.fromCharCode(parseInt(escape.slice(1), 16)) : ({ n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b" } as Record<string, string>)[escape] ?? escape,
    ));
  }
  return args;
}

/**
 * MONITOR over a plain socket: ioredis's monitor() can lose a race between its MONITOR reply and
 * the first lines on a busy machine ("command queue state error") and take the process down.
 */
export async function startMonitor(port: number, onLine: (seen: Seen) => void): Promise<() => void> {
  const socket = createConnection({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  let buffer = "";
  socket.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("latin1");
    let end: number;
    while ((end = buffer.indexOf("\r\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const match = /^\+(\d+\.\d+) \[\d+ ([^\]]+)\] (.*)$/.exec(line);
      if (match) onLine({ time: Number(match[1]), source: match[2]!, args: monitorArgs(match[3]!) });
    }
  });
  socket.write("MONITOR\r\n");
  // the +OK comes first; lines follow as commands arrive
  await new Promise((resolve) => setTimeout(resolve, 50));
  return () => socket.destroy();
}

/** Runs `task` `tasks` times under MONITOR; `settleMs` after each lets trailing commands arrive. */
export async function traceRedis(port: number, ignoreSource: string, tasks: number, task: () => Promise<void>, settleMs = 300, keyPrefix = "edgeq:"): Promise<RedisTrace> {
  let seen: Seen[] = [];
  const stopMonitor = await startMonitor(port, (line) => {
    if (line.source !== ignoreSource && line.args.some((arg) => arg.startsWith(keyPrefix))) seen.push(line);
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
    stopMonitor();
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
