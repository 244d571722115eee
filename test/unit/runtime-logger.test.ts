import { describe, expect, it } from "vitest";
import { createLogger, parseLogLevel } from "../../src/runtime/logger";

describe("JSON-lines logger", () => {
  it("writes one JSON object per line with bound and given fields, at or above its level", () => {
    const lines: string[] = [];
    const log = createLogger("info", { component: "runtime" }, (line) => lines.push(line));
    const task = log.child({ taskId: "t1", queue: "q", attempt: 2 });
    task.debug("hidden");
    task.info("task succeeded", { durationMs: 12 });
    log.error("boom", { error: new TypeError("bad"), big: 10n });
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: "info", msg: "task succeeded", component: "runtime", taskId: "t1", queue: "q", attempt: 2, durationMs: 12,
    });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ level: "error", error: { name: "TypeError", message: "bad" }, big: "10" });
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
  });

  it("never throws on fields JSON cannot hold", () => {
    const lines: string[] = [];
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    createLogger("debug", {}, (line) => lines.push(line)).warn("cyclic", { cyclic });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "warn", msg: "cyclic", logError: "fields not serializable" });
  });

  it("reads EDGEQ_LOG_LEVEL leniently, defaulting to info", () => {
    expect(parseLogLevel(" DEBUG ")).toBe("debug");
    expect(parseLogLevel("warn")).toBe("warn");
    expect(parseLogLevel(undefined)).toBe("info");
    expect(parseLogLevel("verbose")).toBe("info");
    expect(parseLogLevel("constructor")).toBe("info");
  });
});
