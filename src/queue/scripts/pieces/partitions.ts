import { HASHED_PARTITIONS } from "../../ids";
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
-- a partition's keys are "<prefix>:q:{<queue>}:t:<label>", then its r: and f: keys (keys.ts
-- partitionKeys); META is that base .. "meta"
local PART, PART_LABELS = {}, {}
for i = 1, #DECLARED_PARTS, ${PARTITION_KEY_COUNT} do
  local label = string.sub(DECLARED_PARTS[i], #META - 1)
  PART[label] = {unpack(DECLARED_PARTS, i, i + ${PARTITION_KEY_COUNT - 1})}
  PART_LABELS[#PART_LABELS + 1] = label
end
local partMemo = {}
local function partOf(id)
  local label = partMemo[id]
  if label then return label end
  if #id == 26 and not string.find(id, "[^%w]") then label = string.sub(id, 1, 9)
  else
    local stem, digits = string.match(id, "^(.-)(%d+)$")
    if digits then label = stem .. "#" .. string.sub(digits, 1, -3)
    else
      local h = 0
      for i = 1, #id do h = (h * 31 + string.byte(id, i)) % 1000003 end
      label = "%" .. (h % ${HASHED_PARTITIONS})
    end
  end
  partMemo[id] = label
  return label
end
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
local function recordsOf(id)
  local p = PART[partOf(id)]
  if not p then error("ERR edgeq: partition " .. partOf(id) .. " of task " .. id .. " was not declared") end
  return p[1]
end
`,
);
