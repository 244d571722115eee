import { LUA_PARTITIONS } from "./pieces/partitions";
import { defineQueueScript } from "./queue-script";

export const deadPageScript = defineQueueScript({
  name: "deadPage",
  summary: "(read only) a page of a queue's dead tasks with their records",
  keys: ["dead"],
  uses: [LUA_PARTITIONS],
  readOnly: true,
  partitioned: true,
  contract: String.raw`
ARGV[1] offset   ARGV[2] limit
Returns local id, record, ... of dead tasks, most recent first; or {"_need", labels} (run again with them).
`,
  body: String.raw`
local ids = redis.call("ZREVRANGE", DEAD, tonumber(ARGV[1]), tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1)
if #ids == 0 then return {} end
local need = undeclared(ids)
if #need > 0 then return {NEED, need} end
local byKey, order = {}, {}
for _, id in ipairs(ids) do
  local key = recordsOf(id)
  if not byKey[key] then byKey[key] = {}; order[#order + 1] = key end
  table.insert(byKey[key], id)
end
local recordOf = {}
for _, key in ipairs(order) do
  local values = redis.call("HMGET", key, unpack(byKey[key]))
  for i, id in ipairs(byKey[key]) do recordOf[id] = values[i] end
end
local out = {}
for _, id in ipairs(ids) do
  if recordOf[id] then out[#out + 1] = id; out[#out + 1] = recordOf[id] end
end
return out
`,
});
