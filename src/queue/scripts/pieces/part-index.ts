import { luaPiece } from "./index";
import { LUA_PARTITIONS } from "./partitions";

/** An index folds when it holds more members than this (scripts/upkeep.ts), keeping its first FOLD_KEEP. */
export const FOLD_AT = 512;
export const FOLD_KEEP = 128;
/** Members one upkeep call folds per index at most (its script time stays small). */
export const FOLD_MAX = 4096;
/** Groups of the partitions that are not ULID time steps (numbered and hashed ids): a hash of the label. */
export const HASHED_GROUPS = 256;

/**
 * The partition indexes' second level (issue 13). READY, PPARTS, DPARTS and XPARTS hold one member
 * per partition with such work, written directly as today: a queue that drains keeps them small and
 * pays nothing more. One that does not (paused, far delays, a day of dead tasks) would grow them
 * with partitions, so upkeep folds an index past FOLD_AT: the members beyond its first FOLD_KEEP go
 * into their group's sub-index, and the index holds the group (`^<label>`) scored by a bound of its
 * members. A group is a pseudo-partition: the sub-index is the key of its slot (r:, p:, d:, x:^<g>),
 * declared as partitions are, so claim hints and `_need` carry groups too. A group holds a 6-character
 * ULID time prefix (17.5 minutes, at most 32,768 partitions) or 1/256th of the other partitions.
 * Scores are bounds, not heads: at most a partition's head for earliest-first indexes, at least for
 * the dead index (latest first). A label may be in its group and again in the index (written after
 * the fold): readers take the first and drop entries whose set is empty, so stale entries heal.
 */
export const LUA_PART_INDEX = luaPiece(
  "part-index",
  { uses: [LUA_PARTITIONS] },
  String.raw`
-- one table of functions: the settle script is near Lua's 200 locals
local ix = {groupOfKey = {}}
function ix.isGroup(label) return string.byte(label, 1) == 94 end
-- the group a partition folds into: its ULID time prefix when the label is one of this era
-- (uppercase Crockford, first digit 0-7), else a hash of the label
function ix.groupOf(label)
  if #label == 9 and string.find(label, "^[0-7][0-9A-HJKMNP-TV-Z]+$") then return "^" .. string.sub(label, 1, 6) end
  local h = 0
  for i = 1, #label do h = (h * 31 + string.byte(label, i)) % 1000003 end
  return "^%" .. (h % ${HASHED_GROUPS})
end
function ix.before(desc, a, b) if desc then return a > b end return a < b end
-- the first n partitions of an index in its order (desc: latest first), groups expanded: {label,
-- bound, from} each (from: the key holding the entry), every label once. cut: the bound past which
-- entries were not read (nil: all were); lacking: the groups among the first n + 1 this call lacks
-- (the list stops at the first one's bound; the caller names them all for its next call); stale:
-- groups whose sub-index is empty (ix.heal). heal: a script that may write moves group bounds up
function ix.range(top, slot, n, desc, heal)
  local range = desc and "ZREVRANGE" or "ZRANGE"
  for _ = 1, 8 do
    local first = redis.call(range, top, 0, n, "WITHSCORES")
    local all, cut, lacking, stale, rebound = {}, nil, {}, {}, {}
    local function cutAt(s) if not cut or ix.before(desc, s, cut) then cut = s end end
    if #first > 2 * n then cutAt(tonumber(first[2 * n + 2])) end
    for i = 1, math.min(#first, 2 * n), 2 do
      local m, s = first[i], tonumber(first[i + 1])
      if not ix.isGroup(m) then all[#all + 1] = {m, s, top}
      elseif not PART[m] then lacking[#lacking + 1] = m; cutAt(s)
      else
        local key = PART[m][slot]
        ix.groupOfKey[key] = m
        local sub = redis.call(range, key, 0, n, "WITHSCORES")
        if #sub == 0 then stale[#stale + 1] = m
        elseif ix.before(desc, s, tonumber(sub[2])) then rebound[#rebound + 1] = sub[2]; rebound[#rebound + 1] = m end
        if #sub > 2 * n then cutAt(tonumber(sub[2 * n + 2])) end
        for j = 1, math.min(#sub, 2 * n), 2 do all[#all + 1] = {sub[j], tonumber(sub[j + 1]), key} end
      end
    end
    table.sort(all, function(a, b) return ix.before(desc, a[2], b[2]) or (a[2] == b[2] and a[1] < b[1]) end)
    local out, seen = {}, {}
    for _, e in ipairs(all) do
      if #out >= n or (cut and ix.before(desc, cut, e[2])) then break end
      if not seen[e[1]] then seen[e[1]] = true; out[#out + 1] = e end
    end
    -- a group's bound behind its head (its first members left) moves up to it; when that kept
    -- every entry past the cut, read again
    if heal and #rebound > 0 then redis.call("ZADD", top, "XX", unpack(rebound)) end
    if not heal or #rebound == 0 or #out > 0 or #lacking > 0 then return out, cut, lacking, stale end
  end
  return {}, nil, {}, {}
end
-- groups found empty leave the index
function ix.heal(top, stale)
  if #stale > 0 then redis.call("ZREM", top, unpack(stale)) end
end
-- the due partitions (bound <= NOW) of an earliest-first index, at most max, groups expanded as
-- ix.range's; lacking: the due labels and groups this call lacks
function ix.due(top, slot, max)
  local due, lacking, groups = {}, {}, {}
  local first = redis.call("ZRANGEBYSCORE", top, "-inf", NOW, "WITHSCORES", "LIMIT", 0, max)
  for i = 1, #first, 2 do
    local m = first[i]
    if not ix.isGroup(m) then due[#due + 1] = {m, first[i + 1], top}
    elseif not PART[m] then lacking[#lacking + 1] = m
    else
      groups[#groups + 1] = m
      local key = PART[m][slot]
      local sub = redis.call("ZRANGEBYSCORE", key, "-inf", NOW, "WITHSCORES", "LIMIT", 0, max)
      for j = 1, #sub, 2 do due[#due + 1] = {sub[j], sub[j + 1], key} end
    end
  end
  local out, seen = {}, {}
  for _, e in ipairs(due) do
    if #out >= max then break end
    if not seen[e[1]] then
      seen[e[1]] = true; out[#out + 1] = e
      if not PART[e[1]] then lacking[#lacking + 1] = e[1] end
    end
  end
  return out, lacking, groups
end
-- a group's bound in the index moved to its sub-index's head (or out when it is empty), after
-- entries left it: readers find a bound they can trust (and the next due time is not a handled one)
function ix.rehead(top, slot, group)
  local head = redis.call("ZRANGE", PART[group][slot], 0, 0, "WITHSCORES")
  if head[2] then redis.call("ZADD", top, head[2], group) else redis.call("ZREM", top, group) end
end
`,
);
