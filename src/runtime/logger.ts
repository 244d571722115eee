/**
 * JSON-lines logs: one object per line, so Workers Logs, `wrangler tail` and any log shipper can
 * filter by taskId, queue or attempt without parsing prose.
 */
import type { TaskLogger } from "./types";

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger extends TaskLogger {
  /** A logger that adds `fields` to every line (e.g. taskId and attempt for one task). */
  child(fields: Record<string, unknown>): Logger;
  /** Whether lines of `level` are written: lets hot paths skip building fields nobody reads. */
  enabled(level: LogLevel): boolean;
}

export type LogSink = (line: string) => void;

export function parseLogLevel(value: string | undefined): LogLevel {
  const level = value?.trim().toLowerCase();
  return level !== undefined && Object.hasOwn(RANK, level) ? (level as LogLevel) : "info";
}

export function createLogger(
  level: LogLevel = "info",
  bindings: Record<string, unknown> = {},
  sink: LogSink = (line) => console.log(line),
): Logger {
  return new JsonLinesLogger(RANK[level], bindings, sink);
}

// A class rather than closures: a child logger per task must cost next to nothing.
class JsonLinesLogger implements Logger {
  constructor(
    private readonly threshold: number,
    private readonly bindings: Record<string, unknown>,
    private readonly sink: LogSink,
  ) {}

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write("debug", message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.write("info", message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.write("warn", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.write("error", message, fields);
  }
  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.threshold;
  }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLinesLogger(this.threshold, { ...this.bindings, ...fields }, this.sink);
  }

  private write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (RANK[level] < this.threshold) return;
    this.sink(safeStringify({ time: new Date().toISOString(), level, msg: message, ...this.bindings, ...fields }));
  }
}

/** A user's log fields may hold cycles or BigInts; a log line must never throw. */
function safeStringify(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry, (_key, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value instanceof Error ? errorFields(value) : value,
    );
  } catch {
    return JSON.stringify({ time: entry.time, level: entry.level, msg: entry.msg, logError: "fields not serializable" });
  }
}

function errorFields(error: Error): Record<string, unknown> {
  return { name: error.name, message: error.message };
}
