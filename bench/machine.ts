/** The machine and the versions a run measured, so that figures from different runs can be compared. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
}

export interface Versions {
  edgeq: string;
  "@upstash/redis": string;
  redis: string;
  "redis-benchmark": string;
  bullmq: string | null;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

function packageVersion(path: string): string {
  return (JSON.parse(readFileSync(`${ROOT}/${path}`, "utf8")) as { version: string }).version;
}

/** The commit measured, marked when the work tree differs from it. */
function edgeqVersion(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "dev", "bench"], { cwd: ROOT, encoding: "utf8" }).trim();
    return `${packageVersion("package.json")} (${commit}${dirty ? ", uncommitted changes" : ""})`;
  } catch {
    return packageVersion("package.json");
  }
}

export function versions(redis: string, redisBenchmark: string, bullmq: string | null): Versions {
  return {
    edgeq: edgeqVersion(),
    "@upstash/redis": packageVersion("node_modules/@upstash/redis/package.json"),
    redis,
    "redis-benchmark": redisBenchmark,
    bullmq,
  };
}
