/**
 * Durations as QStash takes them: seconds as a number, or a string such as "500ms", "10s", "5m", "2h", "1d".
 */
import { z } from "@hono/zod-openapi";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_TEXT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds, or null when the text is not a duration. */
export function parseDuration(value: number | string): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value * 1_000) : null;
  const match = DURATION_TEXT.exec(value.trim());
  if (!match) return null;
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MS];
  return Math.round(Number(amount) * UNIT_MS[unit]);
}

/** A zod schema that accepts a duration up to `maxMs` and yields milliseconds. */
export function durationSchema(maxMs: number, description: string) {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: 'expected seconds (a number) or a duration such as "10s", "5m", "2h"' });
        return z.NEVER;
      }
      if (ms > maxMs) {
        ctx.addIssue({ code: "custom", message: `must be at most ${maxMs / 1_000} seconds` });
        return z.NEVER;
      }
      return ms;
    })
    .openapi({ description: `${description}: seconds, or a duration such as "500ms", "10s", "5m", "2h", "1d"`, example: "10s" });
}
