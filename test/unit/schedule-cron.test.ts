/** Cron times as schedules read them: 5 and 6 fields, time zones with DST, the catch-up search, refusals. */
import { describe, expect, it } from "vitest";
import { latestFire, nextFire, validateCron } from "../../src/queue/schedules/cron";
import { ValidationError } from "../../src/queue/errors";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const utc = (cron: string) => ({ cron, timezone: null });

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
}

describe("schedule cron", () => {
  it("reads 5 fields at minute precision and 6 with seconds first", () => {
    expect(iso(nextFire(utc("*/15 * * * *"), at("2026-01-01T10:07:31Z")))).toBe("2026-01-01T10:15:00.000Z");
    expect(iso(nextFire(utc("*/5 * * * * *"), at("2026-01-01T10:07:31.200Z")))).toBe("2026-01-01T10:07:35.000Z");
    // Strictly after: a fire time is never its own next.
    expect(iso(nextFire(utc("0 * * * *"), at("2026-01-01T10:00:00Z")))).toBe("2026-01-01T11:00:00.000Z");
  });

  it("a 02:30 schedule on the spring-forward day fires once, at 03:30 local; on fall-back day once, at the first 01:30", () => {
    const ny = { cron: "30 2 * * *", timezone: "America/New_York" };
    // 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT, so 02:30 does not exist that day.
    expect(iso(nextFire(ny, at("2026-03-08T05:00:00Z")))).toBe("2026-03-08T07:30:00.000Z"); // 03:30 EDT
    expect(iso(nextFire(ny, at("2026-03-08T07:30:00Z")))).toBe("2026-03-09T06:30:00.000Z"); // 02:30 EDT, the day after
    const fall = { cron: "30 1 * * *", timezone: "America/New_York" };
    // 2026-11-01: 01:30 happens twice (EDT, then EST); the schedule fires at the first only.
    expect(iso(nextFire(fall, at("2026-11-01T04:00:00Z")))).toBe("2026-11-01T05:30:00.000Z");
    expect(iso(nextFire(fall, at("2026-11-01T05:30:00Z")))).toBe("2026-11-02T06:30:00.000Z");
  });

  it("finds the latest missed fire for the catch-up, never earlier than the due time", () => {
    const minutely = utc("* * * * *");
    expect(iso(latestFire(minutely, at("2026-01-01T00:00:00Z"), at("2026-01-01T09:41:30Z")))).toBe("2026-01-01T09:41:00.000Z");
    const daily = utc("0 3 * * *");
    expect(iso(latestFire(daily, at("2025-12-01T03:00:00Z"), at("2026-01-01T09:41:30Z")))).toBe("2026-01-01T03:00:00.000Z");
    const secondly = utc("* * * * * *");
    expect(iso(latestFire(secondly, at("2025-12-31T00:00:00Z"), at("2026-01-01T09:41:30.500Z")))).toBe("2026-01-01T09:41:30.000Z");
    // Due at 09:41 exactly: that fire itself is the latest.
    expect(latestFire(minutely, at("2026-01-01T09:41:00Z"), at("2026-01-01T09:41:00Z"))).toBe(at("2026-01-01T09:41:00Z"));
    expect(latestFire(daily, at("2026-01-01T04:00:00Z"), at("2026-01-01T09:00:00Z"))).toBeNull();
  });

  it("refuses a bad expression naming `cron`, and an unknown zone naming `timezone`", () => {
    const now = at("2026-01-01T00:00:00Z");
    expect(fieldOf(() => validateCron(utc("61 * * * *"), now))).toBe("cron");
    expect(fieldOf(() => validateCron(utc("* * * *"), now))).toBe("cron");
    expect(fieldOf(() => validateCron(utc("* * * * * * *"), now))).toBe("cron");
    expect(fieldOf(() => validateCron(utc("every minute"), now))).toBe("cron");
    expect(fieldOf(() => validateCron({ cron: "* * * * *", timezone: "Mars/Olympus" }, now))).toBe("timezone");
    expect(fieldOf(() => validateCron({ cron: "0 0 30 2 *", timezone: null }, now))).toBe("cron"); // never fires
    expect(fieldOf(() => validateCron({ cron: "0 9 * * 1-5", timezone: "Europe/Paris" }, now))).toBeUndefined();
  });
});
