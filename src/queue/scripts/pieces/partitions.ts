import { DEDUP_HASHED_PARTITIONS, HASHED_PARTITIONS } from "../../ids";
import { PARTITION_KEY_COUNT } from "../../keys";
import { luaPiece } from "./index";

/**
 * The partitions a call declared (DECLARED_PARTS, after the named keys: compose.ts partitioned) and the
 * partition of a local id, by the rule of ids.ts partitionOf. A script finds ids it cannot serve
 * with the partitions it was given (the head of the ready index, due sweep entries) before it
 * writes anything, and answers {NEED, labels}: the caller runs it again with those (context.ts).
 */
export const LUA_PARTITIONS = luaPiece(
  "partitions",
  { keys: ["meta"] },
  String.raw`
local NEED = "_need"
-- a partition's keys are "<prefix>:q:{<queue>}:t:<label>", then its r:, p:, d:, x: and f: keys (keys.ts
-- partitionKeys); META is that base .. "meta". PART[label] = {records, ready, prioritized, delayed, dead, flow}
local PART, PART_LABELS = {}, {}
for i = 1, #DECLARED_PARTS, ${PARTITION_KEY_COUNT} do
  local label = string.sub(DECLARED_PARTS[i], #META - 1)
  PART[label] = {unpack(DECLARED_PARTS, i, i + ${PARTITION_KEY_COUNT - 1})}
  PART_LABELS[#PART_LABELS + 1] = label
end
local partMemo = {}
-- a task id's partition (ids.ts partitionOf), or with dedup set a dedup key's, the hash that holds
-- its entry (ids.ts dedupPartitionOf: other keys hashed over fewer partitions)
local function partOf(id, dedup)
  -- dedup keys memoized as "=<key>" (no task id holds "=")
  local memoKey = dedup and "=" .. id or id
  local label = partMemo[memoKey]
  if label then return label end
  -- anchored: one pass over the id (an unanchored search for a non-alphanumeric retries at each byte)
  if #id == 26 and string.find(id, "^%w*$") then label = string.sub(id, 1, 9)
  else
    -- a dedup key is numbered only when no digit precedes its last ones (a UUID is not)
    local stem, digits = string.match(id, dedup and "^(%D*)(%d+)$" or "^(.-)(%d+)$")
    if digits then label = stem .. "#" .. string.sub(digits, 1, -3)
    else
      -- the hashed rule over the bytes (ids.ts hashedPartitionOf)
      local h = 0
      for i = 1, #id do h = (h * 31 + string.byte(id, i)) % 1000003 end
      label = "%" .. (h % (dedup and ${DEDUP_HASHED_PARTITIONS} or ${HASHED_PARTITIONS}))
    end
  end
  partMemo[memoKey] = label
  return label
end
local function dedupPartOf(key) return partOf(key, true) end
-- the labels of ids whose partition this call was not given, each once (appended to need)
local function undeclared(ids, need)
  need = need or {}
  local seen = {}
  for _, l in ipairs(need) do seen[l] = true end
  for _, id in ipairs(ids) do
    local l = partOf(id)
    if not PART[l] and not seen[l] then seen[l] = true; need[#need + 1] = l end
  end
  return need
end
-- items grouped by keyOf(item), and the keys in the order they first appear
local function groupBy(items, keyOf)
  local groups, order = {}, {}
  for _, item in ipairs(items) do
    local k = keyOf(item)
    local g = groups[k]
    if not g then g = {}; groups[k] = g; order[#order + 1] = k end
    g[#g + 1] = item
  end
  return groups, order
end
local function recordsOf(id)
  local p = PART[partOf(id)]
  if not p then error("ERR edgeq: partition " .. partOf(id) .. " of task " .. id .. " was not declared") end
  return p[1]
end
`,
);
