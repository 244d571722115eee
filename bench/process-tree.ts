/**
 * CPU time of a process and its descendants, split by program (a Worker process is Node running
 * Miniflare with workerd as its child), read from /proc so that a run can say what a request costs
 * in each process. Linux only; elsewhere every figure is NaN.
 */
import { readdirSync, readFileSync } from "node:fs";
import { processCpuMs } from "./cpu";

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
}

function stat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const fields = text.slice(close + 2).split(" ");
    return { pid, ppid: Number(fields[1]), comm: text.slice(text.indexOf("(") + 1, close) };
  } catch {
    return undefined; // gone, or not Linux
  }
}

/** `root` and every process below it, with their program names. */
export function processTree(root: number): ProcStat[] {
  let all: ProcStat[] = [];
  try {
    all = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).flatMap((name) => stat(Number(name)) ?? []);
  } catch {
    return [];
  }
  const tree: ProcStat[] = [];
  const wanted = new Set([root]);
  // parents have lower pids almost always, but a restarted child may not: iterate to a fixed point
  for (let grew = true; grew; ) {
    grew = false;
    for (const proc of all) {
      if (!wanted.has(proc.pid) && wanted.has(proc.ppid)) {
        wanted.add(proc.pid);
        grew = true;
      }
    }
  }
  for (const proc of all) if (wanted.has(proc.pid)) tree.push(proc);
  return tree;
}

/** CPU milliseconds so far of the tree under `root`, summed by program name (node, workerd, …). */
export function treeCpuMs(root: number): Record<string, number> {
  const byProgram: Record<string, number> = {};
  for (const proc of processTree(root)) byProgram[proc.comm] = (byProgram[proc.comm] ?? 0) + processCpuMs(proc.pid);
  return byProgram;
}
