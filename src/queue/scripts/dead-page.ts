import { LUA_SEGMENTS } from "./pieces/segments";
import { LUA_PART_INDEX } from "./pieces/part-index";
import { defineQueueScript } from "./queue-script";

export const deadPageScript = defineQueueScript({
  name: "deadPage",
  summary: "(read only) a page of a queue's dead tasks with their records",
  keys: ["dead"],
  uses: [LUA_SEGMENTS, LUA_PART_INDEX],
  readOnly: true,
  partitioned: true,
  contract: String.raw`
ARGV[1] offset   ARGV[2] limit
Returns local id, record, ... of dead tasks, most recent first; or {"_need", labels} (run again with them).
The page is merged over the partitions' dead sets in XPARTS's order (each scored by its latest death):
a partition whose latest death is older than the page's last one is not read; a folded group's
partitions are walked in its place.
`,
  body: String.raw`
local want = tonumber(ARGV[1]) + tonumber(ARGV[2])
local cands, seen = {}, {}
local function full(latest) return #cands >= want and cands[want][2] > latest end
local function take(label)
  if seen[label] then return end
  seen[label] = true
  local got = redis.call("ZREVRANGE", PART[label][SLOT_DEAD], 0, want - 1, "WITHSCORES")
  for j = 1, #got, 2 do cands[#cands + 1] = {got[j], tonumber(got[j + 1])} end
  table.sort(cands, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] > b[1]) end)
  for k = #cands, want + 1, -1 do cands[k] = nil end
end
-- walks an index (XPARTS, or a folded group's sub-index: pieces/part-index.ts) latest first, 16 at
-- a time; answers the partitions to ask for when it meets one this call lacks (it and the next)
local function walk(key)
  local at = 0
  while true do
    local parts = redis.call("ZREVRANGE", key, at, at + 15, "WITHSCORES")
    if #parts == 0 then return nil end
    for i = 1, #parts, 2 do
      local label, latest = parts[i], tonumber(parts[i + 1])
      if full(latest) then return nil end
      if not PART[label] then
        local from = at + (i - 1) / 2
        return redis.call("ZREVRANGE", key, from, from + 63)
      end
      if ix.isGroup(label) then
        local need = walk(PART[label][SLOT_DEAD])
        if need then return need end
      else take(label) end
    end
    at = at + 16
  end
end
local need = walk(XPARTS)
if need then return {NEED, need} end
local ids = {}
for i = tonumber(ARGV[1]) + 1, math.min(want, #cands) do ids[#ids + 1] = cands[i][1] end
if #ids == 0 then return {} end
local byKey, order = groupBy(ids, recordsOf)
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
