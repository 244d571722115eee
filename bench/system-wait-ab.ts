/**
 * Sequential `?wait=` latency of two or more git revisions, alternated on one machine:
 *
 *   node --import tsx bench/system-wait-ab.ts [--tasks 300] [--rounds 3] REV REV…
 *
 * A `?wait=` figure moves with the machine's load far more than with the code (p50 13 → 40 ms as the
 * load average goes from 2 to 6 here), so runs of different revisions taken minutes apart compare
 * the machine, not the code. This takes each revision's tree (git archive into a temporary
 * directory, this tree's node_modules linked), runs bench/system-wait-run.ts in it round after
 * round, revisions alternating, and prints every run and the median of each revision's runs beside
 * the load average. "." is this work tree as it is.
 *
 * `--single WORKERS` alternates bench/system-single-run.ts instead (the single-enqueue pattern with
 * that many Worker processes): tasks/s, Redis commands and QStash messages a task, each revision
 * measured by this tree's bench/system.ts and redis-probe.ts.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { SingleRun } from "./system-single-run";
import type { WaitRun } from "./system-wait-run";
import { percentile } from "./workload";

const { values, positionals } = parseArgs({ options: { tasks: { type: "string", default: "300" }, rounds: { type: "string", default: "3" }, single: { type: "string" } }, allowPositionals: true });
if (positionals.length < 2) throw new Error("name two revisions or more (\".\" for this work tree)");
const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const runnerName = values.single ? "system-single-run.ts" : "system-wait-run.ts";
// the single pattern's counting (bench/system.ts, redis-probe.ts) goes along: every revision counted alike
const copied = values.single ? [runnerName, "system.ts", "redis-probe.ts", "qstash-published.ts"] : [runnerName, "qstash-published.ts"];
const scratch = mkdtempSync(join(tmpdir(), "edgeq-wait-ab-"));

/** A tree for `rev`: this one for ".", else the revision's files with this tree's node_modules. */
function treeOf(rev: string, index: number): string {
  if (rev === ".") return root;
  const dir = join(scratch, String(index));
  execFileSync("bash", ["-c", `mkdir -p "${dir}" && git -C "${root}" archive "${rev}" | tar -x -C "${dir}"`]);
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  for (const name of copied) copyFileSync(fileURLToPath(new URL(name, import.meta.url)), join(dir, "bench", name));
  return dir;
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
const trees = positionals.map(treeOf);
const runs: WaitRun[][] = positionals.map(() => []);
if (values.single) await alternateSingles(Number(values.single));
else try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [i, rev] of positionals.entries()) {
      const child = spawnSync(process.execPath, ["--import", "tsx", "bench/system-wait-run.ts", values.tasks!], { cwd: trees[i], encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      if (child.status !== 0) throw new Error(`the run of ${rev} exited with ${child.status}`);
      const run = JSON.parse(child.stdout.trim().split("\n").pop()!) as WaitRun;
      runs[i]!.push(run);
      console.log(`round ${round} ${rev}: p50 ${run.p50.toFixed(1)} p99 ${run.p99.toFixed(1)} ms, stages ${run.stages.join("/")} ms, ${run.restPerTask.toFixed(2)} REST requests, ${run.commandsPerTask.toFixed(2)} Redis commands, ${run.scriptUsecPerTask.toFixed(0)} µs of scripts, ${run.messagesPerTask.toFixed(3)} QStash messages a task (load ${loadavg()[0]!.toFixed(2)})`);
    }
  }
  console.log("\n| revision | p50 ms (median of runs) | p99 ms | stages ms: 202 / claimed / run / answered | REST requests a task | Redis commands a task | QStash messages a task |\n|---|---|---|---|---|---|---|");
  for (const [i, rev] of positionals.entries()) {
    const of = (pick: (run: WaitRun) => number) => median(runs[i]!.map(pick));
    console.log(`| ${rev} | ${of((r) => r.p50).toFixed(1)} | ${of((r) => r.p99).toFixed(1)} | ${[0, 1, 2, 3].map((s) => of((r) => r.stages[s]!)).join(" / ")} | ${of((r) => r.restPerTask).toFixed(2)} | ${of((r) => r.commandsPerTask).toFixed(2)} | ${of((r) => r.messagesPerTask).toFixed(3)} |`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** The single-enqueue pattern's runs, revisions alternating (`--single WORKERS`). */
async function alternateSingles(workers: number): Promise<void> {
  const singles: SingleRun[][] = positionals.map(() => []);
  try {
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const [i, rev] of positionals.entries()) {
        const child = spawnSync(process.execPath, ["--import", "tsx", `bench/${runnerName}`, values.tasks!, String(workers)], { cwd: trees[i], encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
        if (child.status !== 0) throw new Error(`the run of ${rev} exited with ${child.status}`);
        const run = JSON.parse(child.stdout.trim().split("\n").pop()!) as SingleRun;
        singles[i]!.push(run);
        console.log(`round ${round} ${rev}: ${run.tasksPerSecond} tasks/s, ${run.commandsPerTask} Redis commands, ${run.messagesPerTask} QStash messages a task (load ${loadavg()[0]!.toFixed(2)})`);
      }
    }
    console.log(`\n| revision (${workers} worker processes) | tasks/s (median of runs) | Redis commands a task | QStash messages a task |\n|---|---|---|---|`);
    for (const [i, rev] of positionals.entries()) {
      const of = (pick: (run: SingleRun) => number) => median(singles[i]!.map(pick));
      console.log(`| ${rev} | ${of((r) => r.tasksPerSecond)} | ${of((r) => r.commandsPerTask).toFixed(2)} | ${of((r) => r.messagesPerTask).toFixed(3)} |`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
