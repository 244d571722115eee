/**
 * Fixed-window rate limit in Redis: one script call per request, counting units (tasks) rather
 * than requests, so that one request of 5,000 tasks weighs what 5,000 requests of one do. A refused
 * request takes nothing from the window. Windows are keyed by their index, so a counter expires by
 * itself once its window is over and a clock step never extends one.
 */
import { defineScript, runScript, type ScriptRedis } from "../queue/scripts/runner";
import { securityKey } from "./keys";

export interface RateLimit {
  limit: number;
  windowMs: number;
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const RATE_TEXT = /^(\d+)\s*\/\s*(\d*)\s*(ms|s|m|h)$/;

/** `"1000/10s"` → 1,000 per 10 seconds; `"50/m"` → 50 per minute. Null when unset (no limit). */
export function parseRateLimit(text: string | undefined, name = "EDGEQ_ENQUEUE_RATE"): RateLimit | null {
  if (!text || text.trim() === "") return null;
  const match = RATE_TEXT.exec(text.trim());
  const limit = Number(match?.[1]);
  const windowMs = Number(match?.[2] || "1") * UNIT_MS[(match?.[3] ?? "s") as keyof typeof UNIT_MS];
  if (!match || !(limit >= 1) || !(windowMs >= 1)) {
    throw new Error(`${name} must be LIMIT/WINDOW such as "1000/10s" or "50/m", got "${text}"`);
  }
  return { limit, windowMs };
}

export const rateTakeScript = defineScript(
  "rate-take",
  `-- Takes ARGV[1] units from a fixed window when they fit.
-- KEYS[1]  the window's counter (string; expires with the window)
-- ARGV[1]  units asked for (>= 1)
-- ARGV[2]  limit per window
-- ARGV[3]  ms until the window ends (the counter's lifetime)
-- Returns  the count after taking, or -1 when the units do not fit (nothing is taken)
local asked = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + asked > tonumber(ARGV[2]) then return -1 end
local now = redis.call('INCRBY', KEYS[1], asked)
if now == asked then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return now
`,
);

export type RateVerdict = { admitted: true } | { admitted: false; retryAfterMs: number; tooBig: boolean };

/** Takes `units` from `subject`'s current window (keys under `prefix`). */
export async function takeRate(redis: ScriptRedis, prefix: string, subject: string, units: number, rate: RateLimit, now: number): Promise<RateVerdict> {
  const window = Math.floor(now / rate.windowMs);
  const untilEnd = (window + 1) * rate.windowMs - now;
  const reply = await runScript(redis, rateTakeScript, [securityKey(prefix, "rate", `${subject}:${window}`)], [String(units), String(rate.limit), String(untilEnd)]);
  if (Number(reply) >= 0) return { admitted: true };
  return { admitted: false, retryAfterMs: untilEnd, tooBig: units > rate.limit };
}
