/** How much each section measures, in the full run and in the quick one (under a minute in all). */
export interface BenchPlan {
  mode: "quick" | "full";
  /** Throughput rounds, interleaving edgeq and BullMQ; each configuration reports its median round. */
  rounds: number;
  /** Tasks run and discarded before measuring, so the JIT has compiled the clients' hot paths. */
  warmupTasks: number;
  /** edgeq runs: batch size, worker loops, tasks; the batch-100 runs also read every result back. */
  edgeq: { batch: number; loops: number; tasks: number; separateSettle?: boolean }[];
  bullmq: { tasks: number; batch: number };
  redisBenchmarkRequests: number;
  restFloorSeconds: number;
  memoryTasks: number;
  claimDepths: { small: number; large: number; samples: number };
  latencyTasks: number;
  endToEndTasks: number;
}

const LOOPS = [1, 4];

function edgeqRuns(tasksByBatch: Record<number, number>): BenchPlan["edgeq"] {
  return Object.entries(tasksByBatch).flatMap(([batch, tasks]) => LOOPS.map((loops) => ({ batch: Number(batch), loops, tasks })));
}

export function benchPlan(quick: boolean): BenchPlan {
  if (quick) {
    return {
      mode: "quick",
      rounds: 1,
      warmupTasks: 2_000,
      edgeq: edgeqRuns({ 1: 400, 10: 3_000, 100: 15_000, 500: 20_000 }),
      bullmq: { tasks: 10_000, batch: 100 },
      redisBenchmarkRequests: 100_000,
      restFloorSeconds: 1,
      memoryTasks: 20_000,
      claimDepths: { small: 1_000, large: 100_000, samples: 60 },
      latencyTasks: 200,
      endToEndTasks: 2_000,
    };
  }
  return {
    mode: "full",
    rounds: 3,
    warmupTasks: 5_000,
    edgeq: [...edgeqRuns({ 1: 3_000, 10: 20_000, 100: 100_000, 500: 200_000 }), { batch: 100, loops: 4, tasks: 100_000, separateSettle: true }],
    bullmq: { tasks: 100_000, batch: 100 },
    redisBenchmarkRequests: 1_000_000,
    restFloorSeconds: 4,
    memoryTasks: 100_000,
    claimDepths: { small: 1_000, large: 1_000_000, samples: 200 },
    latencyTasks: 500,
    endToEndTasks: 20_000,
  };
}
