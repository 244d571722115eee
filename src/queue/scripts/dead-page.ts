import { defineScript } from "./runner";

/** deadPage (read-only): a page of a queue's dead tasks with their records. */
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

export const deadPageScript = defineScript("deadPage", DEAD_PAGE);
