/** bench/results/keyspace.json (bench/keyspace.ts, its latest run at each depth) as the README's keyspace figures. */

export interface KeyspaceRun {
  startedAt: string;
  loadAverage: number;
  tasks: number;
  /** A mixed run's share of dead, prioritized, delayed and deduped tasks (bench/keyspace.ts --mixed); none: all queued. */
  mix?: string;
  queues: number;
  enqueueSeconds: number;
  recordLimitMb: number;
  /** Tasks enqueued before the record-size limit refused one; null when none was refused. */
  refusedAt: number | null;
  bytesPerTask: number;
  keys: number;
  largest: [string, number][];
  over16Mb: number;
  claim: { batch: number; samples: number; shallowUs: number; deepUs: number; ratio: number };
}

export interface KeyspaceResults {
  /** By the number of tasks ("mixed-<n>" for a mixed run): each depth keeps its latest run. */
  runs: Record<string, KeyspaceRun>;
}

const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(2)} MB`;

export function renderKeyspace(results: KeyspaceResults): string {
  const runs = Object.values(results.runs).sort((a, b) => Number(a.mix !== undefined) - Number(b.mix !== undefined) || a.tasks - b.tasks);
  if (runs.length === 0) throw new Error("bench/results/keyspace.json has no runs");
  const rows: (string | number)[][] = [
    ["largest key (MEMORY USAGE)", "≤ 16 MB", ...runs.map((r) => `${mb(r.largest[0]?.[1] ?? 0)} of ${int(r.keys)} keys`)],
    ["keys over 16 MB", "none", ...runs.map((r) => r.over16Mb)],
    ["enqueues refused by the record-size limit", "none", ...runs.map((r) => (r.refusedAt === null ? `none (${r.recordLimitMb} MB limit)` : `**from ${int(r.refusedAt)} tasks**`))],
    ["Redis bytes per task (80-byte input)", "≤ 250 queued", ...runs.map((r) => r.bytesPerTask.toFixed(1))],
    [
      "claim script time in Redis, one batch queued vs the full depth",
      "flat",
      ...runs.map((r) => `${int(r.claim.shallowUs)} vs ${int(r.claim.deepUs)} µs (${r.claim.ratio.toFixed(2)}×)`),
    ],
  ];
  const column = (r: KeyspaceRun) =>
    `${int(r.tasks)} ${r.mix ? `tasks (${r.mix})` : "queued"} in ${r.queues === 1 ? "one queue" : `${r.queues} queues`} (${r.startedAt.slice(0, 10)}, load ${r.loadAverage.toFixed(1)}, enqueued in ${int(r.enqueueSeconds)} s)`;
  return [line(["measure", "target", ...runs.map(column)]), line(["---", "---", ...runs.map(() => "---")]), ...rows.map(line)].join("\n");
}
