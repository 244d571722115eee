import { SETTING_FIELDS } from "../settings";
import { defineScript } from "./runner";

/** stats (read-only): a queue's depths, counters and settings in one call. */

/** Meta fields the stats script reads after the settings. */
export const COUNTER_FIELDS = ["succeeded", "failed", "dead", "canceled", "retried", "_tomb"] as const;

const STATS = String.raw`
--[[ stats
KEYS[1..9] tasks, registry, meta, ready, prio, delayed, sweep, dead, dedup (keys.ts)
ARGV[1] queue name   ARGV[2..] meta fields to read (settings.ts SETTING_FIELDS, then COUNTER_FIELDS)
Returns { enqueued total (nil: unknown queue), meta values, LLEN ready, ZCARD prio, ZCARD delayed, ZCARD dead }
]]
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
return {redis.call("HGET", KEYS[2], ARGV[1]), redis.call("HMGET", KEYS[3], unpack(fields)),
  redis.call("LLEN", KEYS[4]), redis.call("ZCARD", KEYS[5]), redis.call("ZCARD", KEYS[6]), redis.call("ZCARD", KEYS[8])}
`;

export const statsScript = defineScript("stats", STATS);
export const STATS_FIELDS = [...SETTING_FIELDS, ...COUNTER_FIELDS];
