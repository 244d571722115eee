/** A one-line terminal progress bar: done/total, rate, ETA. Redraws in place on a TTY, prints lines otherwise. */
export interface ProgressBar {
  update(done: number, total: number, failed?: number): void;
  finish(): void;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

/** What the bar counts: tasks by default, any unit by name, or bytes shown in MB (`edgeq blob`). */
export interface ProgressUnit {
  label: string;
  divisor: number;
  digits: number;
}
export const TASKS: ProgressUnit = { label: "tasks", divisor: 1, digits: 0 };
export const MEGABYTES: ProgressUnit = { label: "MB", divisor: 1e6, digits: 1 };

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr, width = 30, counted: ProgressUnit | string = TASKS): ProgressBar {
  const unit = typeof counted === "string" ? { label: counted, divisor: 1, digits: 0 } : counted;
  const startedAt = Date.now();
  const interactive = stream.isTTY === true;
  let lastLine = "";
  let lastPrintedAt = 0;
  const render = (done: number, total: number, failed: number) => {
    const elapsed = (Date.now() - startedAt) / 1000;
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(ratio * width);
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const failures = failed > 0 ? `  ${failed} failed` : "";
    const count = (n: number) => (n / unit.divisor).toFixed(unit.digits);
    return `${bar} ${count(done)}/${count(total)} ${unit.label}  ${(ratio * 100).toFixed(0)}%  ${count(rate)} ${unit.label}/s  ETA ${formatSeconds(eta)}${failures}`;
  };
  return {
    update(done, total, failed = 0) {
      lastLine = render(done, total, failed);
      if (interactive) stream.write(`\r\x1b[2K${lastLine}`);
      else if (Date.now() - lastPrintedAt > 1000 || done >= total) {
        stream.write(`${lastLine}\n`);
        lastPrintedAt = Date.now();
      }
    },
    finish() {
      if (interactive) stream.write("\n");
    },
  };
}
