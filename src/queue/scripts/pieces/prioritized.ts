import { luaPiece } from "./index";
import { LUA_TRANSITIONS } from "./transitions";
import { LUA_PART_INDEX } from "./part-index";

/**
 * The claim's prioritized tasks (pieces/claim.ts): the partitions' prioritized sets (pieces/segments.ts)
 * merged in PPARTS's order, each read once per claim, and what a claim took taken out of them with
 * each partition's index entry moved to its new head.
 */
export const LUA_PRIORITIZED = luaPiece(
  "prioritized",
  { keys: ["prioritized"], uses: [LUA_TRANSITIONS, LUA_PART_INDEX] },
  String.raw`
-- partitions a claim reads from an index at most (the ready one too: pieces/claim.ts)
local HEADS = 8
-- the first max prioritized ids in claim order (priority, then FIFO), merged over the partitions'
-- sets in PPARTS's order (by head; folded groups expanded: pieces/part-index.ts): {id, score, label}
-- each, and the score below which the list is exact (nil: all of it). A partition this call lacks
-- bounds the merge at its head (it is returned: the claim names it for the next call).
-- read[label] = what was read of its set (its next head, once the taken ones are gone); the
-- partitions of the index read (HEADS at most); from[label] = the key of its index entry; complete:
-- the whole index was read
local function prioHeads(max)
  local parts, cut, lackingGroups, stale = ix.range(PPARTS, SLOT_PRIO, HEADS, false, true)
  ix.heal(PPARTS, stale)
  local cands, read, bound, from, lacking = {}, {}, nil, {}, lackingGroups[1]
  local stopped = false
  for _, e in ipairs(parts) do
    local label, head = e[1], e[2]
    if #cands >= max and cands[max][2] < head then stopped = true; break end
    if not PART[label] then bound = head; lacking = label; stopped = true; break end
    local got = redis.call("ZRANGE", PART[label][SLOT_PRIO], 0, max, "WITHSCORES")
    read[label], from[label] = got, e[3]
    -- an entry of an emptied set (stale after a fold) leaves its index
    if #got == 0 then redis.call("ZREM", e[3], label) end
    -- merge the two sorted lists, keeping the first max (the rest cannot be taken)
    local merged, a, b = {}, 1, 1
    while #merged < max and (a <= #cands or b < #got) do
      local s = b < #got and tonumber(got[b + 1])
      if s and (a > #cands or s < cands[a][2]) then merged[#merged + 1] = {got[b], s, label}; b = b + 2
      else merged[#merged + 1] = cands[a]; a = a + 1 end
    end
    cands = merged
  end
  if not stopped and cut then bound = cut end
  local out = {}
  for _, c in ipairs(cands) do
    if #out >= max or (bound and c[2] >= bound) then break end
    out[#out + 1] = c
  end
  local indexed = {}
  for _, e in ipairs(parts) do indexed[#indexed + 1] = e[1] end
  -- the groups it lacks: the claim names them for the next call
  for _, group in ipairs(lackingGroups) do indexed[#indexed + 1] = group end
  return out, bound, read, indexed, lacking, from, cut == nil and not lacking
end
-- takes the claimed prioritized ids out of their sets; each partition's index entry moves to its next
-- head (read by prioHeads: the ids taken from a partition are the first of its set) or leaves
local function takePrio(taken, read, indexed, from, complete, seq)
  local byLabel, labels = groupBy(taken, function(t) return t[3] end)
  local rescored, emptied, keys = {}, {}, {}
  -- index writes per key holding the entries (PPARTS, or a folded group's sub-index)
  local function into(list, key, ...)
    if not rescored[key] and not emptied[key] then keys[#keys + 1] = key end
    local l = list[key] or {}
    list[key] = l
    for _, v in ipairs({...}) do l[#l + 1] = v end
  end
  local gone = 0
  for _, label in ipairs(labels) do
    local g, got = byLabel[label], read[label]
    local ids = {}
    for i, t in ipairs(g) do ids[i] = t[1] end
    chunked("ZREM", PART[label][SLOT_PRIO], ids, CHUNK)
    local next = got[2 * #g + 2]
    if next then into(rescored, from[label], next, label) else into(emptied, from[label], label); gone = gone + 1 end
  end
  count("_prio", -#taken)
  for _, key in ipairs(keys) do
    if rescored[key] then redis.call("ZADD", key, unpack(rescored[key])) end
    if emptied[key] then redis.call("ZREM", key, unpack(emptied[key])) end
    -- a folded group's bound follows its head
    if key ~= PPARTS then ix.rehead(PPARTS, SLOT_PRIO, ix.groupOfKey[key]) end
  end
  -- none left: the claims that follow skip the index until _seq moves (pieces/buffers.ts)
  if complete and gone == #indexed then redis.call("HSET", META, "_pe", seq or "0") end
  onRefused(function()
    for _, label in ipairs(labels) do
      local back = {}
      for _, t in ipairs(byLabel[label]) do back[#back + 1] = t[2]; back[#back + 1] = t[1] end
      chunked("ZADD", PART[label][SLOT_PRIO], back, CHUNK)
      reindex(label, SLOT_PRIO, from[label])
    end
    redis.call("HDEL", META, "_pe")
  end)
  local out = {}
  for _, key in ipairs(keys) do for _, label in ipairs(emptied[key] or {}) do out[#out + 1] = label end end
  return out
end
`,
);
