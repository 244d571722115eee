/**
 * The chaos soak: test/e2e/chaos.test.ts with many tasks (EDGEQ_SOAK), run as the test command runs
 * it, so that the README's soak table comes from a passing run and never from a hand copy. Keeps the
 * run in bench/results/soak.json (the last SOAK_RUNS_KEPT) and rewrites the README's table.
 * A failing run records nothing: its output says what failed.
 *   node --import tsx bench/soak.ts [--tasks 100000] [--seed 8] [--cron 60]
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { rewriteReadme } from "./readme";
import { CHAOS_REPORT_PREFIX, type ChaosTestReport, SOAK_RUNS_KEPT, type SoakResults, type SoakRun } from "./soak-tables";

const ANSI_ESCAPES = /\u001b\[[0-9;]*m/g;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: { tasks: { type: "string", default: "100000" }, seed: { type: "string", default: "8" }, cron: { type: "string", default: "60" } },
});

function commit(): string {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  return `${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain", "--", "src", "dev", "test") ? ", uncommitted changes" : ""}`;
}

/** Runs the chaos test, echoing its output; resolves with the report line's JSON, or null when it failed. */
function runChaosTest(env: Record<string, string>): Promise<ChaosTestReport | null> {
  const child = spawn("npx", ["vitest", "run", "--config", "test/vitest.config.ts", "test/e2e/chaos.test.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      // The reporter colours its output: the report's line may begin with escape codes.
      const lines = output.replace(ANSI_ESCAPES, "").split("\n");
      const line = lines.find((text) => text.startsWith(CHAOS_REPORT_PREFIX));
      resolve(code === 0 && line ? (JSON.parse(line.slice(CHAOS_REPORT_PREFIX.length)) as ChaosTestReport) : null);
    });
  });
}

async function main() {
  const seed = Number(values.seed);
  const cronEverySeconds = Number(values.cron);
  const startedAt = new Date().toISOString();
  const measured = commit();
  let loadAverage = loadavg()[0]!;
  const sampler = setInterval(() => (loadAverage = Math.max(loadAverage, loadavg()[0]!)), 5_000);
  const report = await runChaosTest({ EDGEQ_SOAK: values.tasks!, EDGEQ_CHAOS_SEED: String(seed), EDGEQ_CHAOS_CRON_S: String(cronEverySeconds) });
  clearInterval(sampler);
  if (!report) {
    process.stderr.write("bench/soak.ts: the chaos test failed or printed no report; nothing recorded\n");
    process.exit(1);
  }
  const run: SoakRun = { startedAt, commit: measured, seed, cronEverySeconds, loadAverage: Math.round(loadAverage * 10) / 10, cores: cpus().length, report };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  const file = new URL("./results/soak.json", import.meta.url);
  const earlier: SoakRun[] = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as SoakResults).runs : [];
  const kept: SoakResults = { runs: [...earlier, run].slice(-SOAK_RUNS_KEPT) };
  writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`);
  rewriteReadme();
}

await main();
