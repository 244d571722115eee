/**
 * The generated parts of BENCHMARKS.md and the README that come from more than one results file:
 * the README's benchmark table (from results/latest.json, and results/system.json when present; bench/readme.ts places it),
 * what a client sees (results/system.json) and what a request costs in each process
 * (results/profile.json). Never copied by hand: `npm run bench` writes them after a run, and
 * `npm run bench -- --render` rewrites them from the results files as they are.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ProfileResults } from "./profile-results";
import { headline, type BenchResults } from "./run-results";
import type { SystemResults } from "./system";

const BENCH = fileURLToPath(new URL(".", import.meta.url));

/** results/<name>.json, or null when that run was not made. */
export function readResults<T>(name: string): T | null {
  const path = `${BENCH}results/${name}.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as T) : null;
}


const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const k = (n: number) => `${(n / 1000).toFixed(1)}k`;

/** The README's table: the core's headline figures and, when measured, what a client sees. */
export function readmeTable(results: BenchResults, system: SystemResults | null): string {
  const best = headline(results);
  const bull = results.bullmq;
  const claim = results.claimCost;
  const latency = results.pushLatency;
  const lines = [
    `From \`npm run bench\`${results.mode === "quick" ? " -- --quick" : ""} on ${results.startedAt.slice(0, 10)} (${results.machine.cpus} cores, load average ${results.machine.loadAverage} at start):`,
    "",
    row(["measure (batch 100)", "edgeq", "BullMQ", "target"]),
    row(["---", "---", "---", "---"]),
  ];
  if (best) {
    lines.push(row(["drain throughput, no-op tasks", `${k(best.drainPerSecond)} tasks/s (${best.loops} loops over REST)`, bull ? `${k(bull.drainPerSecond)} jobs/s (TCP, concurrency ${bull.loops})` : "–", `≥ 3× BullMQ: **${results.ratios.drainBatch100VsBullmq?.toFixed(2) ?? "–"}×**`]));
    lines.push(row(["Redis commands per task (enqueue → claim → complete)", `${(best.enqueue.commands + best.drain.commands).toFixed(2)}`, bull ? (bull.enqueue.commands + bull.drain.commands).toFixed(1) : "–", "≤ 0.15"]));
    lines.push(row(["REST requests per task", ((best.enqueue.requests ?? 0) + (best.drain.requests ?? 0)).toFixed(3), "–", "≤ 0.02"]));
  }
  if (results.memory.edgeq !== null) lines.push(row([`Redis memory per queued task (${results.memory.inputBytes}-byte input)`, `${int(results.memory.edgeq)} B`, results.memory.bullmq === null ? "–" : `${int(results.memory.bullmq)} B`, "≤ 250 B"]));
  if (claim) lines.push(row([`claim of 100 with ${int(claim.small.depth)} vs ${int(claim.large.depth)} queued`, `${int(claim.small.serverP50Us)} vs ${int(claim.large.serverP50Us)} µs in Redis (${results.ratios.claimServerLargeOverSmall?.toFixed(2) ?? "–"}×)`, "–", "flat within 1.2×"]));
  if (latency) lines.push(row([`push-path latency enqueue → result (${latency.tasks} tasks)`, `p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms`, "–", "p50 ≤ 15 ms, p99 ≤ 50 ms"]));
  if (results.endToEnd) lines.push(row([`whole system over HTTP (${int(results.endToEnd.tasks)} tasks, ${results.endToEnd.workers} worker process)`, `${int(results.endToEnd.tasksPerSecond)} tasks/s`, "–", "–"]));
  if (system) {
    lines.push("", `What a client sees (\`npm run bench -- --only system${system.mode === "quick" ? " --quick" : ""}\`, ${system.startedAt.slice(0, 10)}, load average ${system.loadAverageAtStart} at start):`, "");
    lines.push(row(["pattern", "workers", "edgeq", "target", "met"]), row(["---", "---", "---", "---", "---"]));
    for (const r of system.rows) lines.push(row([r.pattern, r.workers, r.value, r.target, r.met ? "yes" : "**no**"]));
  }
  return lines.join("\n");
}

function costSection(profile: ProfileResults): string {
  const parts = [
    `## What a request costs in each process (\`node --import tsx bench/profile.ts${profile.mode === "quick" ? " --quick" : ""}\`)\n`,
    `${profile.startedAt.slice(0, 10)}, ${profile.workers} worker process(es), load average ${profile.loadAverageAtStart} at start; figures in [results/profile.json](results/profile.json). CPU milliseconds per HTTP request in each process over the whole run of the pattern (for the task patterns the drain by pushes is included), read from /proc; busy is CPU time over wall time (1.00 = one core). The clients run in a process of their own. The profile lines give the modules that took most self time under V8's sampling profiler (a second run of the same pattern). Read workerd's with care: its samples cover the isolate's thread whether it computes or waits (their total exceeds the CPU time /proc reports), so they say where a request sits more than where it computes; the CPU columns are the measure.\n`,
  ];
  const ceiling = profile.harnessCeiling;
  parts.push(`Harness ceiling: ${ceiling.pattern}: **${int(ceiling.perSecond)} req/s**, ${Object.entries(ceiling.cpuMsPerRequest).map(([p, ms]) => `${p} ${ms.toFixed(2)} ms`).join(", ")} per request.\n`);
  for (const p of profile.patterns) {
    const processes = Object.keys(p.cpuMsPerRequest).filter((name) => p.cpuMsPerRequest[name]! > 0 || p.busy[name]! > 0);
    const bound = processes.reduce((a, b) => (p.busy[b]! > p.busy[a]! ? b : a), processes[0]!);
    parts.push(`### ${p.pattern}: ${int(p.perSecond)}/s\n`);
    const perTask = p.cpuMsPerTask;
    parts.push(row(["process", "CPU ms per request", ...(perTask ? ["CPU µs per task"] : []), "busy"]), row(["---", "---", ...(perTask ? ["---"] : []), "---"]));
    for (const name of processes) parts.push(row([name, p.cpuMsPerRequest[name]!.toFixed(3), ...(perTask ? [Math.round(perTask[name]! * 1000)] : []), p.busy[name]!.toFixed(2)]));
    const facts: string[] = [];
    if (perTask) {
      // every process shares this machine's two cores, the load client included
      const allMs = processes.reduce((sum, name) => sum + perTask[name]!, 0);
      facts.push(`all processes together **${int(allMs * 1000)} µs of CPU a task**, so two cores cap this pattern near ${int(2_000 / allMs)} tasks/s`);
    }
    if (p.redisCommandsPerTask) {
      const { total, ...byName } = p.redisCommandsPerTask;
      facts.push(`Redis commands per task ${total?.toFixed(2)} (${Object.entries(byName).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, v]) => `${n} ${v.toFixed(2)}`).join(", ")})`);
    }
    if (p.topLevelPerTask) {
      // scripts told apart by their key and argument counts; summed here by command
      const byCommand: Record<string, number> = {};
      for (const [kind, n] of Object.entries(p.topLevelPerTask)) byCommand[kind.split(" ")[0]!] = (byCommand[kind.split(" ")[0]!] ?? 0) + n;
      // rates are stored to three decimals: a pattern of few script calls per task (a drain of 20,000
      // after one resume) has them rounded to 0, and the average would divide by that
      const scriptCalls = byCommand.EVALSHA ?? 0;
      const inner = (p.redisCommandsPerTask?.total ?? 0) - Object.values(byCommand).reduce((a, b) => a + b, 0);
      const average = scriptCalls >= 0.01 ? `, so a script call costs ${(inner / scriptCalls).toFixed(1)} inner calls on average` : "";
      facts.push(`top-level calls per task ${Object.entries(byCommand).map(([c, n]) => `${c} ${n.toFixed(3)}`).join(", ")}${average}`);
    }
    if (p.byScript) {
      const scripts = Object.entries(p.byScript).filter(([, s]) => s.innerPerTask > 0 || s.calls > 0).sort((a, b) => b[1].innerPerTask - a[1].innerPerTask);
      facts.push(`by script: ${scripts.map(([name, s]) => `${name} ${s.calls.toFixed(3)} calls and ${s.innerPerTask.toFixed(2)} inner calls per task (per call: ${Object.entries(s.innerPerCall).map(([c, n]) => `${c} ${n.toFixed(1)}`).join(", ")})`).join("; ")}`);
    }
    facts.push(`REST requests per HTTP request ${p.restRequestsPerRequest.toFixed(2)}`);
    if (p.qstashMessagesPerTask !== null) facts.push(`QStash messages per task ${p.qstashMessagesPerTask.toFixed(3)}`);
    facts.push(`busiest process: ${bound} (${p.busy[bound]!.toFixed(2)})`);
    parts.push(`\n${facts.join("; ")}.\n`);
    for (const [name, summary] of Object.entries(p.profiles)) {
      parts.push(`- ${name}, ${int(summary.busyMs)} ms sampled: ${summary.modules.slice(0, 6).map((m) => `${m.module} ${Math.round((m.ms * 100) / Math.max(1, summary.busyMs))}%`).join(", ")}`);
    }
    parts.push("");
  }
  return parts.join("\n");
}

function systemSection(system: SystemResults): string {
  return [
    `## What a client sees (\`npm run bench -- --only system${system.mode === "quick" ? " --quick" : ""}\`)\n`,
    `${system.startedAt.slice(0, 10)}, load average ${system.loadAverageAtStart} at start; figures in [results/system.json](results/system.json).\n`,
    row(["pattern", "workers", "edgeq", "target", "met"]),
    row(["---", "---", "---", "---", "---"]),
    ...system.rows.map((r) => row([r.pattern, r.workers, r.value, r.target, r.met ? "yes" : "**no**"])),
    "",
  ].join("\n");
}

/** The BENCHMARKS.md sections drawn from results/system.json and results/profile.json, when present. */
export function generatedSections(): string {
  const system = readResults<SystemResults>("system");
  const profile = readResults<ProfileResults>("profile");
  return [system ? systemSection(system) : "", profile ? costSection(profile) : ""].filter(Boolean).join("\n");
}
