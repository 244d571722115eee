import { luaPiece } from "./index";
import { LUA_PARTITIONS } from "./partitions";

/**
 * The per-partition sorted sets of prioritized, delayed and dead tasks (`p:`, `d:`, `x:<label>`, the
 * slots 3, 4, 5 of PART[label]) and their per-queue indexes (PPARTS, DPARTS, XPARTS), which hold one
 * member per partition scored by its head: the earliest (prioritized, delayed) or the latest (dead).
 * A set grows with its partition's tasks only (ids.ts partitionOf), an index with the partitions
 * holding such tasks, so no key grows with one queue's prioritized, delayed or dead tasks (issue 13).
 */
export const LUA_SEGMENTS = luaPiece(
  "segments",
  { uses: [LUA_PARTITIONS] },
  String.raw`
local SLOT_PRIO, SLOT_DELAYED, SLOT_DEAD = 3, 4, 5
local function partKey(label, slot)
  local p = PART[label]
  if not p then error("ERR edgeq: partition " .. label .. " was not declared") end
  return p[slot]
end
-- adds score, member pairs (a member's id is its text up to "|") to their partitions' sets, one ZADD
-- a partition, and moves each partition's index entry to its head when the new one leads ("LT" for
-- earliest-first sets, "GT" for the dead): one ZADD for the index. Returns how many members were new
local function segmentAdd(entries, slot, index, order)
  local groups, labels = {}, {}
  for i = 1, #entries, 2 do
    local member = entries[i + 1]
    local label = partOf(string.match(member, "^[^|]*"))
    local g = groups[label]
    if not g then g = {}; groups[label] = g; labels[#labels + 1] = label end
    g[#g + 1] = entries[i]; g[#g + 1] = member
  end
  local added, heads = 0, {}
  for _, label in ipairs(labels) do
    local g, key = groups[label], partKey(label, slot)
    local best = tonumber(g[1])
    for i = 1, #g, CHUNK do
      added = added + redis.call("ZADD", key, unpack(g, i, math.min(i + CHUNK - 1, #g)))
    end
    for i = 3, #g, 2 do
      local s = tonumber(g[i])
      if (order == "LT" and s < best) or (order == "GT" and s > best) then best = s end
    end
    heads[#heads + 1] = int(best); heads[#heads + 1] = label
  end
  if #heads > 0 then redis.call("ZADD", index, order, unpack(heads)) end
  return added
end
-- a partition's index entry after members left its set: its new head's score, or out when empty
local function reindex(label, slot, index)
  local key = partKey(label, slot)
  local head = slot == SLOT_DEAD and redis.call("ZRANGE", key, -1, -1, "WITHSCORES") or redis.call("ZRANGE", key, 0, 0, "WITHSCORES")
  if head[2] then redis.call("ZADD", index, head[2], label) else redis.call("ZREM", index, label) end
end
-- removes members from their partitions' sets (one ZREM a partition) and re-scores the partitions
-- touched; returns how many were there
local function segmentRemove(members, slot, index)
  local groups, labels = groupBy(members, function(member) return partOf(string.match(member, "^[^|]*")) end)
  local removed = 0
  for _, label in ipairs(labels) do
    local g, key = groups[label], partKey(label, slot)
    for i = 1, #g, CHUNK do removed = removed + redis.call("ZREM", key, unpack(g, i, math.min(i + CHUNK - 1, #g))) end
    reindex(label, slot, index)
  end
  return removed
end
`,
);
