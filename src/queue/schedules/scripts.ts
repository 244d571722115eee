import { defineScript } from "../scripts/runner";

/**
 * Scripts of the schedules. Each touches the three schedule structures only, all in KEYS.
 */

const PUT = String.raw`
--[[ schedulePut: create or replace a schedule
KEYS[1] definitions (hash)   KEYS[2] due (zset)   KEYS[3] runs (hash)
ARGV[1] id   ARGV[2] definition JSON   ARGV[3] next fire ms ("" when paused)
ARGV[4] "1" to keep the last run (a replace), "0" to forget it (a new schedule)
Returns 1 created, 0 replaced.
]]
local created = redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == "" then redis.call("ZREM", KEYS[2], ARGV[1]) else redis.call("ZADD", KEYS[2], ARGV[3], ARGV[1]) end
if ARGV[4] == "0" then redis.call("HDEL", KEYS[3], ARGV[1]) end
return created
`;

const ADVANCE = String.raw`
--[[ scheduleAdvance: after a fire, move a schedule to its next fire time, once
KEYS[1] definitions (hash)   KEYS[2] due (zset)   KEYS[3] runs (hash)
ARGV[1] id   ARGV[2] the due time the caller read   ARGV[3] next fire ms ("" for none)
ARGV[4] the run JSON {at, taskId, firedAt}
Returns 1 advanced; 0 when the schedule is no longer due at ARGV[2] (another invocation advanced
it, or it was paused, replaced or deleted meanwhile): nothing is written.
]]
local score = redis.call("ZSCORE", KEYS[2], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
if redis.call("HEXISTS", KEYS[1], ARGV[1]) == 0 then
  redis.call("ZREM", KEYS[2], ARGV[1])
  return 0
end
if ARGV[3] == "" then redis.call("ZREM", KEYS[2], ARGV[1]) else redis.call("ZADD", KEYS[2], ARGV[3], ARGV[1]) end
redis.call("HSET", KEYS[3], ARGV[1], ARGV[4])
return 1
`;

const REMOVE = String.raw`
--[[ scheduleRemove
KEYS[1] definitions (hash)   KEYS[2] due (zset)   KEYS[3] runs (hash)
ARGV[1] id
Returns 1 removed, 0 when there was no such schedule.
]]
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("HDEL", KEYS[3], ARGV[1])
return redis.call("HDEL", KEYS[1], ARGV[1])
`;

export const schedulePutScript = defineScript("schedulePut", PUT);
export const scheduleAdvanceScript = defineScript("scheduleAdvance", ADVANCE);
export const scheduleRemoveScript = defineScript("scheduleRemove", REMOVE);
