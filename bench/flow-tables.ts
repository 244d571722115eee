/** bench/results/flow.json (bench/flow.ts, its last runs) as the README's flow-control figures. */

export interface FlowRun {
  startedAt?: string;
  loadAverage?: number;
  quick: boolean;
  commandsPerTask: { withoutKeys: number; extraPerTask: { oneKey: number; tenKeys: number; target: number } };
  claimScriptTime: { depth: number; oneKey: { serverP50Us: number }; manyKeys: { keys: number; serverP50Us: number }; ratio: number; target: number };
  fairness: { backlog: number; soloP99Ms: number; besideBacklogP99Ms: number; ratio: number; target: number };
}

export interface FlowResults {
  /** Oldest first; bench/flow.ts keeps the last few, since one loaded run says little on its own. */
  runs: FlowRun[];
}

/** How many runs bench/flow.ts keeps in bench/results/flow.json. */
export const FLOW_RUNS_KEPT = 3;

const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;
const times = (ratio: number) => `${ratio.toFixed(2)}×`;

function column(run: FlowRun): string {
  const when = run.startedAt ? run.startedAt.slice(0, 16).replace("T", " ") : "undated";
  const load = run.loadAverage === undefined ? "" : `, load ${run.loadAverage.toFixed(1)}`;
  return `${run.quick ? "quick" : "full"}, ${run.claimScriptTime.depth.toLocaleString("en-US")} queued (${when}${load})`;
}

export function renderFlow(results: FlowResults): string {
  const runs = results.runs;
  if (runs.length === 0) throw new Error("bench/results/flow.json has no runs");
  const last = runs[runs.length - 1]!;
  const rows = [
    ["Redis commands per task, enqueue + settleAndClaim drain at batch 100, no keys", "", ...runs.map((r) => r.commandsPerTask.withoutKeys.toFixed(3))],
    [
      "the same with 1 key / 10 keys: extra per task",
      `≤ ${last.commandsPerTask.extraPerTask.target}`,
      ...runs.map((r) => `${r.commandsPerTask.extraPerTask.oneKey.toFixed(3)} / ${r.commandsPerTask.extraPerTask.tenKeys.toFixed(3)}`),
    ],
    [
      `claim script time (redis-server), ${last.claimScriptTime.manyKeys.keys.toLocaleString("en-US")} keys / 1 key`,
      `≤ ${last.claimScriptTime.target}×`,
      ...runs.map((r) => `${times(r.claimScriptTime.ratio)} (${ms(r.claimScriptTime.manyKeys.serverP50Us)} / ${ms(r.claimScriptTime.oneKey.serverP50Us)})`),
    ],
    [
      "p99 wait of a key enqueuing single tasks beside another key's backlog / on an empty queue",
      `≤ ${last.fairness.target}×`,
      ...runs.map((r) => `${times(r.fairness.ratio)} (${r.fairness.besideBacklogP99Ms} / ${r.fairness.soloP99Ms} ms)`),
    ],
  ];
  return [
    `The last ${runs.length === 1 ? "run" : `${runs.length} runs`} of \`bench/flow.ts\` (\`bench/results/flow.json\`):`,
    "",
    line(["figure", "target", ...runs.map(column)]),
    line(["---", "---", ...runs.map(() => "---")]),
    ...rows.map(line),
  ].join("\n");
}
