/**
 * Cron times through croner: 5 fields, or 6 with seconds first; IANA time zones with their DST.
 * The DST rule is croner's: a wall-clock time skipped by the spring-forward jump fires once, an
 * hour later (02:30 becomes 03:30 local on that day), and a time the fall-back repeats fires once,
 * at its first occurrence. Fire times are whole seconds.
 */
import { Cron } from "croner";
import { ErrorCode, ValidationError } from "../errors";

/** Cron expressions are short; a long one is a mistake or an attack on the parser. */
const MAX_CRON_LENGTH = 120;

export interface CronSpec {
  cron: string;
  timezone: string | null;
}

function parse(spec: CronSpec): Cron {
  if (spec.cron.length > MAX_CRON_LENGTH) throw new ValidationError(ErrorCode.InvalidArgument, "cron", `is longer than ${MAX_CRON_LENGTH} characters`);
  const fields = spec.cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) throw new ValidationError(ErrorCode.InvalidArgument, "cron", `has ${fields} fields; use 5 (minute hour day month weekday) or 6 (seconds first)`);
  if (spec.timezone !== null) checkTimezone(spec.timezone);
  try {
    return new Cron(spec.cron, { paused: true, ...(spec.timezone ? { timezone: spec.timezone } : {}) });
  } catch (error) {
    throw new ValidationError(ErrorCode.InvalidArgument, "cron", error instanceof Error ? error.message : String(error));
  }
}

function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new ValidationError(ErrorCode.InvalidArgument, "timezone", `"${timezone}" is not an IANA time zone (e.g. "Europe/Paris")`);
  }
}

/** Throws a ValidationError naming `cron` or `timezone`; also refuses an expression that never fires. */
export function validateCron(spec: CronSpec, now: number): void {
  if (nextFire(spec, now) === null) throw new ValidationError(ErrorCode.InvalidArgument, "cron", "never fires after now");
}

/** The first fire time strictly after `after`, or null when there is none. */
export function nextFire(spec: CronSpec, after: number): number | null {
  return parse(spec).nextRun(new Date(after))?.getTime() ?? null;
}

/** Windows searched, narrowest first, for the latest fire at or before a time. */
const LOOKBACK_MS = [60_000, 3_600_000, 86_400_000, 31 * 86_400_000, 366 * 86_400_000, 8 * 366 * 86_400_000];
const MAX_STEPS = 200;

/**
 * The latest fire time in [from, until]: the catch-up policy runs only that one. Searched in
 * widening windows so that a per-second schedule after a day's downtime costs a few dozen steps.
 */
export function latestFire(spec: CronSpec, from: number, until: number): number | null {
  const cron = parse(spec);
  for (const lookback of LOOKBACK_MS) {
    const start = Math.max(from, until - lookback);
    let latest: number | null = null;
    let at = cron.nextRun(new Date(start - 1));
    for (let step = 0; at && at.getTime() <= until && step < MAX_STEPS; step++) {
      latest = at.getTime();
      at = cron.nextRun(at);
    }
    if (latest !== null && (at === null || at.getTime() > until)) return latest;
    if (start === from) return latest;
  }
  return null;
}
