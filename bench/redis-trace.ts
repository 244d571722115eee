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
  /** The top-level commands of the last traced task, in order (EVALSHA named by its script's header). */
  sequence: string[];
}

interface Seen {
  source: string;
  args: string[];
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
  const monitor = await client.monitor();
  let seen: Seen[] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source !== ignoreSource && args.some((arg) => arg.startsWith(keyPrefix))) seen.push({ source, args });
  });
  let top = 0;
  let inner = 0;
  let sequence: string[] = [];
  try {
    for (let i = 0; i < tasks; i++) {
      seen = [];
      await task();
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const outer = seen.filter((s) => s.source !== "lua");
      top += outer.length;
      inner += seen.length - outer.length;
      sequence = outer.map((s) => describe(s.args));
    }
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  return { tasks, topLevelPerTask: top / tasks, scriptInnerPerTask: inner / tasks, sequence };
}
