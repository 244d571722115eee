import { SETTING_FIELDS } from "../settings";
import { defineQueueScript } from "./queue-script";

export const settingsScript = defineQueueScript({
  name: "settings",
  summary: "stores setting fields; the queue exists from then on (stats enqueued)",
  keys: ["meta", "stats"],
  contract: String.raw`
ARGV[1] the enqueued total a queue without one starts from (0, or a count its registry entry kept
  from before totals moved to the stats hash: registry.ts)   ARGV[2] number of fields F to read back   ARGV[3 .. 2+F] fields to read
ARGV[3+F ..] field, value pairs to store (none: only register)
Returns the stored values of the F fields (nil where unset).
`,
  body: String.raw`
local f = tonumber(ARGV[2])
local pairsArgs = {}
for i = 3 + f, #ARGV do pairsArgs[#pairsArgs + 1] = ARGV[i] end
if #pairsArgs > 0 then redis.call("HSET", META, unpack(pairsArgs)) end
redis.call("HSETNX", STATS, "enqueued", ARGV[1])
local fields = {}
for i = 3, 2 + f do fields[#fields + 1] = ARGV[i] end
if #fields == 0 then return {} end
return redis.call("HMGET", META, unpack(fields))
`,
});
export const SETTINGS_READ = [...SETTING_FIELDS];
