import { SETTING_FIELDS } from "../settings";
import { LUA_REGISTER } from "./pieces/register";
import { defineQueueScript } from "./queue-script";

export const settingsScript = defineQueueScript({
  name: "settings",
  summary: "stores setting fields and registers the queue",
  keys: ["meta"],
  uses: [LUA_REGISTER],
  contract: String.raw`
ARGV[1] queue name   ARGV[2] number of fields F to read back   ARGV[3 .. 2+F] fields to read
ARGV[3+F ..] field, value pairs to store (none: only register)
Returns the stored values of the F fields (nil where unset).
`,
  body: String.raw`
local f = tonumber(ARGV[2])
local pairsArgs = {}
for i = 3 + f, #ARGV do pairsArgs[#pairsArgs + 1] = ARGV[i] end
if #pairsArgs > 0 then redis.call("HSET", META, unpack(pairsArgs)) end
register(ARGV[1])
redis.call("HSETNX", STATS, "enqueued", 0)
local fields = {}
for i = 3, 2 + f do fields[#fields + 1] = ARGV[i] end
return redis.call("HMGET", META, unpack(fields))
`,
});
export const SETTINGS_READ = [...SETTING_FIELDS];
