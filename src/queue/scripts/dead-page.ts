import { defineQueueScript } from "./queue-script";

export const deadPageScript = defineQueueScript({
  name: "deadPage",
  summary: "(read only) a page of a queue's dead tasks with their records",
  keys: ["tasks", "dead"],
  readOnly: true,
  contract: String.raw`
ARGV[1] offset   ARGV[2] limit
Returns id, record, id, record, ... of dead tasks, most recent first.
`,
  body: String.raw`
local ids = redis.call("ZREVRANGE", DEAD, tonumber(ARGV[1]), tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1)
if #ids == 0 then return {} end
local records = redis.call("HMGET", TASKS, unpack(ids))
local out = {}
for i, id in ipairs(ids) do
  if records[i] then out[#out + 1] = id; out[#out + 1] = records[i] end
end
return out
`,
});
