/** bench/results/soak.json (bench/soak.ts, its last runs of the chaos test) as the README's soak table. */
import type { ChaosReport } from "../dev/chaos";

/** The line test/e2e/chaos.test.ts prints when it passes, as JSON after this prefix. */
export const CHAOS_REPORT_PREFIX = "chaos report: ";

/**
 * What the chaos test reports (its `chaos report:` line): dev/chaos.ts's counters (runs made before
 * settle answers were lost on purpose have no lostSettleAnswers) and the test's own checks.
 */
export type ChaosTestReport = Omit<ChaosReport, "lostSettleAnswers"> & {
  lostSettleAnswers?: number;
  tasks: number;
  wallMs: number;
  plannedThrows: number;
  byStatus: { succeeded: number; dead: number; canceled: number };
  jobTasks: number;
  duplicateFolds: number;
  lost: number;
  staleResults: number;
  counts: { failed: number };
};

export interface SoakRun {
  startedAt: string;
  /** The commit measured, marked when src, dev or test differed from it. */
  commit: string;
  seed: number;
  /** The cron's interval in the run; 0 for none. */
  cronEverySeconds: number;
  /** 1-minute load average: the highest seen while it ran (the stack shares the machine with other work). */
  loadAverage: number;
  cores: number;
  report: ChaosTestReport;
}

export interface SoakResults {
  /** Oldest first; bench/soak.ts keeps the last SOAK_RUNS_KEPT. */
  runs: SoakRun[];
}

export const SOAK_RUNS_KEPT = 3;

const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const int = (n: number) => n.toLocaleString("en-US");

function row(run: SoakRun): (string | number)[] {
  const r = run.report;
  const s = r.byStatus;
  return [
    `${run.startedAt.slice(0, 10)}, load ≤ ${run.loadAverage.toFixed(1)}, cron ${run.cronEverySeconds ? `${run.cronEverySeconds} s` : "off"}, seed ${run.seed}`,
    `${int(r.tasks)} (${int(s.succeeded)} succeeded, ${int(s.dead)} dead, ${int(s.canceled)} canceled as planned)`,
    int(r.jobTasks),
    `${Math.round(r.wallMs / 1000)} s`,
    int(r.restRequests),
    int(r.restFaults["error-before"]),
    int(r.restFaults.timeout),
    int(r.restFaults["error-after"]),
    int(r.restFaults["drop-after"]),
    int(r.deliveries),
    int(r.duplicatedDeliveries),
    r.workerKills,
    int(r.staleSettles),
    `**${r.lost}**`,
    `**${r.staleResults}**`,
    `**${r.duplicateFolds}**`,
  ];
}

export function renderSoak(results: SoakResults): string {
  const runs = results.runs;
  if (runs.length === 0) throw new Error("bench/results/soak.json has no runs");
  const last = runs[runs.length - 1]!;
  const header = [
    "run", "tasks", "job map tasks", "wall time", "REST requests", "503 before", "timeouts", "500 after", "cut after",
    "pushes", "duplicated", "worker kills", "stale settles refused", "lost", "stale results", "duplicate folds",
  ];
  return [
    `The last ${runs.length === 1 ? "soak" : `${runs.length} soaks`} (\`node --import tsx bench/soak.ts\`, \`bench/results/soak.json\`), on ${last.cores} cores with the whole stack, shared with other work:`,
    "",
    line(header),
    line(header.map(() => "---")),
    ...runs.map((run) => line(row(run))),
    "",
    `In the last, the function threw ${int(last.report.plannedThrows)} times on purpose; the queue counted ${int(last.report.counts.failed)} failed attempts in all (the rest are attempts whose worker was killed or whose requests failed).`,
  ].join("\n");
}
