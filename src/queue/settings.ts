/**
 * Queue settings: built-in defaults, stored overrides (fields of the queue's meta hash, one per
 * setting), and validation of a patch. Scripts get the effective defaults in ARGV[2] (see
 * `scriptDefaults`) and let stored fields override them, so a queue with no stored settings costs
 * no read beyond the meta HMGET the script makes anyway.
 */
import { ErrorCode, ValidationError } from "./errors";
import type { BackoffPolicy, QueueSettings, QueueSettingsPatch } from "./types";

export const DEFAULT_SETTINGS: QueueSettings = {
  maxAttempts: 3,
  backoff: { type: "exponential", baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.5 },
  leaseMs: 30_000,
  resultTtlMs: 24 * 3_600_000,
  batchSize: 100,
  maxParallel: 10,
  dedupWindowMs: 3_600_000,
  paused: false,
};

/** Meta hash fields holding settings, in the order scripts and `settingsFromMeta` read them. */
export const SETTING_FIELDS = [
  "maxAttempts",
  "leaseMs",
  "resultTtlMs",
  "dedupWindowMs",
  "backoffType",
  "backoffBaseMs",
  "backoffMaxMs",
  "backoffJitter",
  "batchSize",
  "maxParallel",
  "paused",
] as const;

const LIMITS: Record<string, [number, number]> = {
  maxAttempts: [1, 1_000],
  leaseMs: [1_000, 24 * 3_600_000],
  resultTtlMs: [1_000, 90 * 24 * 3_600_000],
  dedupWindowMs: [0, 30 * 24 * 3_600_000],
  batchSize: [1, 10_000],
  maxParallel: [1, 10_000],
  "backoff.baseMs": [0, 24 * 3_600_000],
  "backoff.maxMs": [0, 7 * 24 * 3_600_000],
};

export function mergeSettings(base: QueueSettings, patch: Partial<QueueSettings> = {}): QueueSettings {
  return { ...base, ...patch, backoff: { ...base.backoff, ...(patch.backoff ?? {}) } };
}

function checkInteger(name: string, value: unknown): void {
  const [min, max] = LIMITS[name]!;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(ErrorCode.InvalidArgument, name, `must be an integer in [${min}, ${max}]`);
  }
}

/** Throws a ValidationError naming the first bad field; returns the meta fields to store. */
export function settingsPatchToFields(patch: QueueSettingsPatch): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const name of ["maxAttempts", "leaseMs", "resultTtlMs", "dedupWindowMs", "batchSize", "maxParallel"] as const) {
    if (patch[name] === undefined) continue;
    checkInteger(name, patch[name]);
    fields[name] = String(patch[name]);
  }
  if (patch.paused !== undefined) {
    if (typeof patch.paused !== "boolean") throw new ValidationError(ErrorCode.InvalidArgument, "paused", "must be a boolean");
    fields.paused = patch.paused ? "1" : "0";
  }
  const backoff: Partial<BackoffPolicy> | undefined = patch.backoff;
  if (backoff !== undefined) {
    if (backoff.type !== undefined) {
      if (backoff.type !== "exponential" && backoff.type !== "fixed") {
        throw new ValidationError(ErrorCode.InvalidArgument, "backoff.type", 'must be "exponential" or "fixed"');
      }
      fields.backoffType = backoff.type;
    }
    if (backoff.baseMs !== undefined) checkInteger("backoff.baseMs", backoff.baseMs), (fields.backoffBaseMs = String(backoff.baseMs));
    if (backoff.maxMs !== undefined) checkInteger("backoff.maxMs", backoff.maxMs), (fields.backoffMaxMs = String(backoff.maxMs));
    if (backoff.jitter !== undefined) {
      if (typeof backoff.jitter !== "number" || !(backoff.jitter >= 0 && backoff.jitter <= 1)) {
        throw new ValidationError(ErrorCode.InvalidArgument, "backoff.jitter", "must be a number in [0, 1]");
      }
      fields.backoffJitter = String(backoff.jitter);
    }
  }
  return fields;
}

/** ARGV[2] of every script: the effective defaults, comma-separated in SETTING_FIELDS order (first 8). */
/** The settings ARGV[2] carries, in its order (scripts/pieces/settings.ts reads them by these names). */
export const SCRIPT_DEFAULT_FIELDS = SETTING_FIELDS.slice(0, 8);

export function scriptDefaults(d: QueueSettings): string {
  return [d.maxAttempts, d.leaseMs, d.resultTtlMs, d.dedupWindowMs, d.backoff.type, d.backoff.baseMs, d.backoff.maxMs, d.backoff.jitter].join(",");
}

/** Stored meta values (HMGET of SETTING_FIELDS, nil as null) over the defaults. */
export function settingsFromMeta(values: readonly unknown[], d: QueueSettings): QueueSettings {
  const num = (i: number, fallback: number): number => (values[i] == null ? fallback : Number(values[i]));
  const type = values[4] == null ? d.backoff.type : String(values[4]);
  return {
    maxAttempts: num(0, d.maxAttempts),
    leaseMs: num(1, d.leaseMs),
    resultTtlMs: num(2, d.resultTtlMs),
    dedupWindowMs: num(3, d.dedupWindowMs),
    backoff: {
      type: type === "fixed" ? "fixed" : "exponential",
      baseMs: num(5, d.backoff.baseMs),
      maxMs: num(6, d.backoff.maxMs),
      jitter: num(7, d.backoff.jitter),
    },
    batchSize: num(8, d.batchSize),
    maxParallel: num(9, d.maxParallel),
    paused: values[10] != null && String(values[10]) === "1",
  };
}
