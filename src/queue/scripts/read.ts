import { SETTING_FIELDS } from "../settings";
import { defineScript } from "./runner";

/** Read-only scripts: a queue's figures, and a page of its dead tasks. No writes, no library. */

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

const DEAD_PAGE = String.raw`
--[[ deadPage
KEYS[1..9] tasks, registry, meta, ready, prio, delayed, sweep, dead, dedup (keys.ts)
ARGV[1] offset   ARGV[2] limit
Returns id, record, id, record, ... of dead tasks, most recent first.
]]
local ids = redis.call("ZREVRANGE", KEYS[8], tonumber(ARGV[1]), tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1)
if #ids == 0 then return {} end
local records = redis.call("HMGET", KEYS[1], unpack(ids))
local out = {}
for i, id in ipairs(ids) do
  if records[i] then out[#out + 1] = id; out[#out + 1] = records[i] end
end
return out
`;

export const statsScript = defineScript("stats", STATS);
export const deadPageScript = defineScript("deadPage", DEAD_PAGE);
export const STATS_FIELDS = [...SETTING_FIELDS, ...COUNTER_FIELDS];
