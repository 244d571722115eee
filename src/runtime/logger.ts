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
  const threshold = RANK[level];
  const write = (lineLevel: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (RANK[lineLevel] < threshold) return;
    sink(safeStringify({ time: new Date().toISOString(), level: lineLevel, msg: message, ...bindings, ...fields }));
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    child: (fields) => createLogger(level, { ...bindings, ...fields }, sink),
  };
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
