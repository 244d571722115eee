/** What every workload shares: the task input, batching, and the shape of a throughput result. */
import type { CpuShare } from "./cpu";
import type { CommandCounts } from "./redis-probe";

/** Bytes of JSON in every task's input, as the targets state them. */
export const INPUT_BYTES = 80;

/** A task input whose JSON text is exactly INPUT_BYTES long (the same for edgeq and BullMQ). */
export function taskInput(n: number): { n: number; pad: string } {
  const skeleton = JSON.stringify({ n, pad: "" }).length;
  return { n, pad: "x".repeat(INPUT_BYTES - skeleton) };
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** Runs `work` on `loops` concurrent loops, each taking the next item until none is left; `loop` says which loop runs it. */
export async function inParallel<T>(items: T[], loops: number, work: (item: T, loop: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    range(loops).map(async (loop) => {
      while (next < items.length) await work(items[next++]!, loop);
    }),
  );
}

export interface PhaseCost {
  /** Redis commands per task, script-inner calls included. */
  commands: number;
  /** REST requests per task (null where the client speaks TCP). */
  requests: number | null;
}

export interface ThroughputResult {
  system: "edgeq" | "bullmq";
  /** edgeq: tasks per script call; BullMQ: jobs per addBulk. */
  batch: number;
  /** edgeq: concurrent worker loops; BullMQ: worker concurrency. */
  loops: number;
  /** edgeq: claim and complete sent as two requests per batch rather than one settleAndClaim. */
  separateSettle?: boolean;
  tasks: number;
  enqueuePerSecond: number;
  drainPerSecond: number;
  /** tasks / (enqueue time + drain time) */
  overallPerSecond: number;
  enqueue: PhaseCost;
  drain: PhaseCost;
  /** Reading every result back (measured on some configurations only). */
  read?: PhaseCost;
  /** Drain rate of every round; the figures above are those of the median round. */
  drainRounds?: number[];
  /** Where the drain's CPU went. */
  cpu: CpuShare;
  /** Redis commands per task by name during the whole enqueue and drain (which calls dominate). */
  commandsByName: Record<string, number>;
}

/** Calls per task by command name, summed over phases. */
export function commandsPerTask(phases: CommandCounts[], tasks: number): Record<string, number> {
  const perTask: Record<string, number> = {};
  for (const phase of phases) {
    for (const [command, calls] of Object.entries(phase.byCommand)) perTask[command] = (perTask[command] ?? 0) + calls / tasks;
  }
  return perTask;
}

/** The p-th percentile of ascending samples (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The round with the median drain rate, carrying every round's rate. */
export function medianRound(rounds: ThroughputResult[]): ThroughputResult {
  const sorted = [...rounds].sort((a, b) => a.drainPerSecond - b.drainPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...median, drainRounds: rounds.map((round) => Math.round(round.drainPerSecond)) };
}

/** Stops what `stop` owns when the run is interrupted (Ctrl-C, SIGTERM), so no server outlives it; returns the undo. */
export function stopOnSignal(stop: () => Promise<void>): () => void {
  const onSignal = () => void stop().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

export const perSecond = (tasks: number, ms: number): number => (tasks * 1000) / Math.max(ms, 0.001);
