/**
 * CPU time spent by each process of a workload (this client, the REST server, redis-server), so that
 * a run can say which of them bounds throughput: the one whose CPU time is close to the wall time.
 */
import { readFileSync } from "node:fs";

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

export function processCpuMs(pid: number): number {
  if (pid === process.pid) {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in field 2 may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN; // not Linux, or the process is gone: reported as unknown
  }
}

export interface CpuShare {
  /** CPU milliseconds per 1,000 tasks. */
  client: number;
  rest: number;
  redis: number;
  /** CPU time over wall time: 1.0 means one core was busy all along. */
  clientBusy: number;
  restBusy: number;
  redisBusy: number;
}

export interface CpuProbe {
  /** Starts a measurement; the returned function ends it. */
  start(): (tasks: number) => CpuShare;
}

export function cpuProbe(pids: { rest: number; redis: number }): CpuProbe {
  return {
    start() {
      const wall0 = performance.now();
      const client0 = processCpuMs(process.pid);
      const rest0 = processCpuMs(pids.rest);
      const redis0 = processCpuMs(pids.redis);
      return (tasks) => {
        const wall = performance.now() - wall0;
        const client = processCpuMs(process.pid) - client0;
        const rest = processCpuMs(pids.rest) - rest0;
        const redis = processCpuMs(pids.redis) - redis0;
        const perThousand = (ms: number) => (ms * 1000) / Math.max(1, tasks);
        return {
          client: perThousand(client),
          rest: perThousand(rest),
          redis: perThousand(redis),
          clientBusy: client / wall,
          restBusy: rest / wall,
          redisBusy: redis / wall,
        };
      };
    },
  };
}
