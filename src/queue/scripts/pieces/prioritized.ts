import { luaPiece } from "./index";
import { LUA_TRANSITIONS } from "./transitions";

/**
 * The claim's prioritized tasks (pieces/claim.ts): the partitions' prioritized sets (pieces/segments.ts)
 * merged in PPARTS's order, each read once per claim, and what a claim took taken out of them with
 * each partition's index entry moved to its new head.
 */
export const LUA_PRIORITIZED = luaPiece(
  "prioritized",
  { keys: ["prioritized"], uses: [LUA_TRANSITIONS] },
  String.raw`
-- partitions a claim reads from an index at most (the ready one too: pieces/claim.ts)
local HEADS = 8
-- the first max prioritized ids in claim order (priority, then FIFO), merged over the partitions'
-- sets in PPARTS's order (by head): {id, score, label} each, and the score below which the list is
-- exact (nil: all of it). A partition this call lacks bounds the merge at its head (it is returned:
-- the claim names it for the next call). read[label] = what was read of its set (its next head,
-- once the taken ones are gone); and the partitions of the index read (HEADS + 1 at most)
local function prioHeads(max)
  local parts = redis.call("ZRANGE", PPARTS, 0, HEADS, "WITHSCORES")
  local cands, read, bound, lacking = {}, {}, nil, nil
  for i = 1, #parts, 2 do
    local label, head = parts[i], tonumber(parts[i + 1])
    if #cands >= max and cands[max][2] < head then break end
    if i > 2 * HEADS or not PART[label] then
      bound = head
      if i <= 2 * HEADS then lacking = label end
      break
    end
    local got = redis.call("ZRANGE", PART[label][SLOT_PRIO], 0, max, "WITHSCORES")
    read[label] = got
    -- merge the two sorted lists, keeping the first max (the rest cannot be taken)
    local merged, a, b = {}, 1, 1
    while #merged < max and (a <= #cands or b < #got) do
      local s = b < #got and tonumber(got[b + 1])
      if s and (a > #cands or s < cands[a][2]) then merged[#merged + 1] = {got[b], s, label}; b = b + 2
      else merged[#merged + 1] = cands[a]; a = a + 1 end
    end
    cands = merged
  end
  local out = {}
  for _, c in ipairs(cands) do
    if #out >= max or (bound and c[2] >= bound) then break end
    out[#out + 1] = c
  end
  local indexed = {}
  for i = 1, #parts, 2 do indexed[#indexed + 1] = parts[i] end
  return out, bound, read, indexed, lacking
end
-- takes the claimed prioritized ids out of their sets; each partition's index entry moves to its next
-- head (read by prioHeads: the ids taken from a partition are the first of its set) or leaves
local function takePrio(taken, read, indexed)
  local byLabel, labels = groupBy(taken, function(t) return t[3] end)
  local rescored, emptied = {}, {}
  for _, label in ipairs(labels) do
    local g, got = byLabel[label], read[label]
    local ids = {}
    for i, t in ipairs(g) do ids[i] = t[1] end
    chunked("ZREM", PART[label][SLOT_PRIO], ids, CHUNK)
    local next = got[2 * #g + 2]
    if next then rescored[#rescored + 1] = next; rescored[#rescored + 1] = label else emptied[#emptied + 1] = label end
  end
  count("_prio", -#taken)
  if #rescored > 0 then redis.call("ZADD", PPARTS, unpack(rescored)) end
  if #emptied > 0 then redis.call("ZREM", PPARTS, unpack(emptied)) end
  if #emptied == #indexed then redis.call("HDEL", META, "_pz") end
  onRefused(function()
    for _, label in ipairs(labels) do
      local back = {}
      for _, t in ipairs(byLabel[label]) do back[#back + 1] = t[2]; back[#back + 1] = t[1] end
      chunked("ZADD", PART[label][SLOT_PRIO], back, CHUNK)
      reindex(label, SLOT_PRIO, PPARTS)
    end
    redis.call("HSET", META, "_pz", "1")
  end)
  return emptied
end
`,
);
