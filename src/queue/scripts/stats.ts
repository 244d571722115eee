import { SETTING_FIELDS } from "../settings";
import { defineScript } from "./runner";

/** stats (read-only): a queue's depths, counters and settings in one call. */

/**
 * Totals the scripts keep in the stats hash (KEYS[10]; lib.ts flush adds them to the stats hash's
 * one read-modify-write, so they cost no command of their own). `_tomb` counts canceled ids still in
 * the ready list.
 */
export const COUNTER_FIELDS = ["succeeded", "failed", "dead", "canceled", "retried", "_tomb"] as const;

const STATS = String.raw`
--[[ stats
KEYS[1..] the queue keys (keys.ts): 2 registry, 3 meta, 4 ready, 5 prio, 6 delayed, 8 dead, 10 stats
ARGV[1] queue name   ARGV[2] number S of settings   ARGV[3 .. 2+S] settings (meta fields)
ARGV[3+S ..] totals (stats hash fields)
Returns { enqueued total (nil: unknown queue), settings, totals, LLEN ready, ZCARD prio, ZCARD delayed, ZCARD dead }
]]
local s = tonumber(ARGV[2])
local settings, totals = {}, {}
for i = 3, 2 + s do settings[#settings + 1] = ARGV[i] end
for i = 3 + s, #ARGV do totals[#totals + 1] = ARGV[i] end
return {redis.call("HGET", KEYS[2], ARGV[1]), redis.call("HMGET", KEYS[3], unpack(settings)), redis.call("HMGET", KEYS[10], unpack(totals)),
  redis.call("LLEN", KEYS[4]), redis.call("ZCARD", KEYS[5]), redis.call("ZCARD", KEYS[6]), redis.call("ZCARD", KEYS[8])}
`;

export const statsScript = defineScript("stats", STATS);
export const STATS_ARGS = [String(SETTING_FIELDS.length), ...SETTING_FIELDS, ...COUNTER_FIELDS];
