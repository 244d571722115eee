import { SETTING_FIELDS } from "../settings";
import { defineScript } from "./runner";

const SOURCE = String.raw`
--[[ settings: stores setting fields and registers the queue
KEYS[1..9] tasks, registry, meta, ready, prio, delayed, sweep, dead, dedup (keys.ts)
ARGV[1] queue name   ARGV[2] number of fields F to read back   ARGV[3 .. 2+F] fields to read
ARGV[3+F ..] field, value pairs to store (none: only register)
Returns the stored values of the F fields (nil where unset).
]]
local f = tonumber(ARGV[2])
local pairsArgs = {}
for i = 3 + f, #ARGV do pairsArgs[#pairsArgs + 1] = ARGV[i] end
if #pairsArgs > 0 then redis.call("HSET", KEYS[3], unpack(pairsArgs)) end
redis.call("HINCRBY", KEYS[2], ARGV[1], 0)
local fields = {}
for i = 3, 2 + f do fields[#fields + 1] = ARGV[i] end
return redis.call("HMGET", KEYS[3], unpack(fields))
`;

export const settingsScript = defineScript("settings", SOURCE);
export const SETTINGS_READ = [...SETTING_FIELDS];
