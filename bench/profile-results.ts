/** The shape of bench/results/profile.json (bench/profile.ts writes it, bench/summary.ts renders it). */
import type { ProfileSummary } from "./cpu-profile";

export interface PatternCost {
  pattern: string;
  requests: number;
  tasks: number;
  wallMs: number;
  perSecond: number;
  /** CPU ms per request in each process; busy = CPU time over wall time (1 = one core). */
  cpuMsPerRequest: Record<string, number>;
  busy: Record<string, number>;
  cpuMsPerTask: Record<string, number> | null;
  redisCommandsPerTask: Record<string, number> | null;
  restRequestsPerRequest: number;
  qstashMessagesPerTask: number | null;
  profiles: Record<string, ProfileSummary>;
  /**
   * Top-level Redis commands per task by kind (MONITOR during the profiled run; a script is told by
   * its key and argument counts): which calls make up the commands per task.
   */
  topLevelPerTask?: Record<string, number>;
  /**
   * Per script (by name; "(no script)" for commands sent alone): calls per task, the calls made
   * inside each by command name, and what they add up to per task.
   */
  byScript?: Record<string, { calls: number; innerPerCall: Record<string, number>; innerPerTask: number }>;
}

export interface ProfileResults {
  mode: "quick" | "full";
  startedAt: string;
  loadAverageAtStart: string;
  workers: number;
  /** /health of a Worker that only answers, on the same harness. */
  harnessCeiling: { pattern: string; perSecond: number; cpuMsPerRequest: Record<string, number> };
  patterns: PatternCost[];
}
