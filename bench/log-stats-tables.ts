/** bench/results/log-stats.json (bench/log-stats.ts) as the README's "Data in R2" figures. */

export interface LogStatsResults {
  machine: string | { cores: number; loadAverage: number; note: string };
  chunkMb?: number;
  throughput: { workers: number; mb: number; mapTasks: number; jobMBps: number; singleProcessMBps: number; agrees: boolean }[];
  costs: { workload: string; tasks: number; commandsPerTask: number; bytesPerTask: number }[];
}

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

const mbps = (n: number) => n.toFixed(1);

export function renderLogStats(results: LogStatsResults): string {
  const { machine } = results;
  const where =
    typeof machine === "string"
      ? machine
      : `${machine.cores} cores at a load average of up to ${machine.loadAverage.toFixed(1)} while it ran (${machine.note})`;
  const throughput = table(
    ["worker processes", "logs", `map tasks${results.chunkMb ? ` (of ${results.chunkMb} MB)` : ""}`, "log-stats through the stack", "single-process pass", "answers"],
    results.throughput.map((run) => [
      run.workers,
      `${run.mb.toLocaleString("en-US")} MB`,
      run.mapTasks,
      `**${mbps(run.jobMBps)} MB/s**`,
      `${mbps(run.singleProcessMBps)} MB/s`,
      run.agrees ? "identical" : "**differ**",
    ]),
  );
  const tasks = [...new Set(results.costs.map((cost) => cost.tasks))].join(", ");
  const costs = table(
    ["workload", "Redis commands per task", "Redis bytes per task (records kept)"],
    results.costs.map((cost) => [cost.workload, cost.commandsPerTask.toFixed(2), cost.bytesPerTask]),
  );
  return [
    `Last run (\`bench/results/log-stats.json\`): ${where}.`,
    "",
    throughput,
    "",
    `Redis cost per task, ${tasks} tasks each, the bench's own progress polls subtracted:`,
    "",
    costs,
  ].join("\n");
}
