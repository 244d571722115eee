import { LUA_SETTINGS } from "./pieces/settings";
import { LUA_TRANSITIONS } from "./pieces/transitions";
import { LUA_FLOW } from "./pieces/flow";
import { LUA_PART_FOLD } from "./pieces/part-fold";
import { LUA_EXPIRY } from "./pieces/expiry";
import { defineQueueScript } from "./queue-script";

/** Partitions an upkeep call takes on for the ids its record-expiry entries list, past the first entry's. */
const EXPIRY_PARTS = 64;

/** upkeep: promotes due delayed tasks, reclaims expired leases, expires old records and dedup keys. */
export const upkeepScript = defineQueueScript({
  name: "upkeep",
  summary: "promotes due delayed tasks, reclaims expired leases, expires old records and dedup keys",
  uses: [LUA_SETTINGS, LUA_TRANSITIONS, LUA_FLOW, LUA_PART_FOLD, LUA_EXPIRY],
  partitioned: true,
  contract: String.raw`
ARGV[1] now ms   ARGV[2] defaults   ARGV[3] limit (ids handled per part per call)
Sweep entries (score = when due; member = kind letter then payload):
  L<label>\n<tag>  claimed/extended tasks, listed in field "~L<tag>" of partition <label>'s hash: a
                task still running with an expired lease is reclaimed (back to ready, or dead when its
                attempts are spent); finished ones become G
  G<label>\n<due> finished (succeeded or canceled) records of any partitions whose expiry falls in
                bucket <due>, listed in field "~G<due>" of partition <label>'s hash (pieces/expiry.ts;
                before, "~G<due>.<now>.<first id>" of one call): deleted once past their expiresAt
  D<label>\n<tag>  dedup keys listed (escaped: pieces/buffers.ts dedupEntry) in field "~D<tag>" of
                partition <label>'s hash, each entry being field "=<key>" of its own partition's
                hash (scripts/enqueue.ts): deleted once past their window
  K<label>\n<tag>  as D, written before dedup keys had partitions of their own (ids.ts
                DEDUP_HASHED_PARTITIONS): each entry where the key's partition as a task id is
A partition index past its fold size has its tail folded into groups (pieces/part-fold.ts).
Returns { promoted, requeued, dead, expired, more (1 when a bound was hit) }, or {"_need", labels}
before anything is written when due entries name tasks of partitions the call was not given (or
the groups a fold writes).
`,
  body: String.raw`
local limit = tonumber(ARGV[3])
if not limit or limit < 1 then return -6 end
local m = readMeta({"_gk"})
expiry.start(m)
local fetchMax = 64
local scored = redis.call("ZRANGEBYSCORE", SWEEP, "-inf", NOW, "WITHSCORES", "LIMIT", 0, fetchMax)
local entries, scoreOf = {}, {}
for i = 1, #scored, 2 do entries[#entries + 1] = scored[i]; scoreOf[scored[i]] = scored[i + 1] end
local full = #entries == fetchMax
-- members name a partition and the field of its hash that lists their ids (L, G) or dedup keys (K)
-- (pieces/buffers.ts sweepAdd)
local need, needed, located = {}, {}, {}
local function needs(label)
  if not PART[label] and not needed[label] then needed[label] = true; need[#need + 1] = label end
end
local leaseChecks = false
for _, e in ipairs(entries) do
  local label, tag = string.match(string.sub(e, 2), "^([^\n]*)\n(.*)$")
  if label then located[e] = {label, "~" .. string.sub(e, 1, 1) .. tag}; needs(label) end
  if string.sub(e, 1, 1) == "L" then leaseChecks = true end
end
-- tasks found finished by lease checks get record-expiry entries (pieces/expiry.ts): the homes of
-- the buckets of tasks finished within the last lease, asked for with the entries' partitions so that
-- the call seldom needs a try of its own for them
if leaseChecks then
  local counts, keep, t = {}, tonumber(m.resultTtlMs) or 0, NOW - (tonumber(m.leaseMs) or 0)
  while true do
    counts[expiry.due(t + keep)] = 1
    if t >= NOW then break end
    t = math.min(t + expiry.step, NOW)
  end
  expiry.need(counts, needs)
end
-- partitions with due delayed tasks (promoteDue promotes only those the call holds)
for _, label in ipairs(select(2, duePartitions(8))) do needs(label) end
-- indexes grown past their fold size: the groups their tails fold into
local plans = ix.foldPlans(needs)
if #need > 0 then return {NEED, need} end
-- one HMGET per partition for the id lists
local listOf, byLabel, labels = {}, {}, {}
for _, e in ipairs(entries) do
  local at = located[e]
  if at then
    local group = byLabel[at[1]]
    if not group then group = {}; byLabel[at[1]] = group; labels[#labels + 1] = at[1] end
    group[#group + 1] = e
  end
end
for _, label in ipairs(labels) do
  local fields = {}
  for i, e in ipairs(byLabel[label]) do fields[i] = located[e][2] end
  local values = redis.call("HMGET", PART[label][1], unpack(fields))
  for i, e in ipairs(byLabel[label]) do listOf[e] = values[i] and split(values[i], ",") or {} end
end
-- a D list names dedup keys of any partitions (enqueue.ts): those too, before anything is written.
-- K lists are of before dedup keys had partitions of their own (ids.ts DEDUP_HASHED_PARTITIONS):
-- their keys' entries are where a task id's partition would be
local function dedupHome(kind) return kind == "K" and partOf or dedupPartOf end
for _, e in ipairs(entries) do
  local kind = string.sub(e, 1, 1)
  if (kind == "D" or kind == "K") and listOf[e] then
    for i, entry in ipairs(listOf[e]) do listOf[e][i] = dedupKeyOf(entry) end
  end
end
-- a G list names finished ids of any partitions (pieces/expiry.ts), a D list keys of any: their
-- partitions too, for the entries this call handles, which list EXPIRY_PARTS partitions at most past
-- the first entry (the entries after wait for the next call; counted held or not, so that the call
-- run again with them covers the same entries and needs no more)
local covered, left, spread = 0, limit, {n = 0}
for _, e in ipairs(entries) do
  if left <= 0 then break end
  local list, kind = listOf[e] or {}, string.sub(e, 1, 1)
  if kind ~= "L" then
    local home = kind == "G" and partOf or dedupHome(kind)
    for _, item in ipairs(list) do
      local label = home(item)
      if not spread[label] then spread[label] = true; spread.n = spread.n + 1 end
    end
    if covered > 0 and spread.n > ${EXPIRY_PARTS} then break end
    for _, item in ipairs(list) do needs(home(item)) end
  end
  covered = covered + 1
  left = left - #list
end
-- the buckets the finished tasks of the lease checks handled go to (their partitions are held)
local finishing = {}
for i, e in ipairs(entries) do
  if i > covered then break end
  if string.sub(e, 1, 1) == "L" and listOf[e] then
    load(listOf[e])
    for _, id in ipairs(listOf[e]) do
      local rec = cache[id]
      local st = rec and string.sub(rec, 1, 1)
      if st == "s" or st == "c" then
        local expires = fromTime(parse(rec)[F_EXPIRES]) or 0
        if expires > NOW then local due = expiry.due(expires); finishing[due] = (finishing[due] or 0) + 1 end
      end
    end
  end
end
expiry.need(finishing, needs)
if #need > 0 then return {NEED, need} end
local more, budget, ids, work, processed, spent = false, limit, {}, {}, {}, {}
for i, e in ipairs(entries) do
  if budget <= 0 or i > covered then more = true; break end
  local kind = string.sub(e, 1, 1)
  -- an entry without a partition is of before partitions: its records (and dedup keys) are in the
  -- old keys, not upkept
  local list = listOf[e] or {}
  if kind ~= "D" and kind ~= "K" then for _, id in ipairs(list) do ids[#ids + 1] = id end end
  if located[e] then spent[#spent + 1] = located[e] end
  budget = budget - #list
  work[#work + 1] = {kind, list, located[e] and located[e][1]}
  processed[#processed + 1] = e
end
local promoted, promotedAll = promoteDue(limit)
if promotedAll then more = true end
load(ids)

local requeued, dead, expired = 0, 0, 0
local maxAttempts = tonumber(m.maxAttempts)
local function reclaim(id, h, body)
  local front, result, errors = sections(body)
  errors = appendError(errors, cjson.encode("lease expired (attempt " .. h[F_ATT] .. ")"))
  count("failed", 1)
  if tonumber(h[F_ATT]) >= (tonumber(h[F_MAXATT]) or maxAttempts) then
    toDead(id, h, front, result, errors)
    dead = dead + 1
  else
    h[F_ST] = "q"; h[F_LEASE] = ""
    put(id, format(h, joinBody(front, result, errors)))
    makeReady(id, h[F_PRIO])
    requeued = requeued + 1
  end
end
for _, w in ipairs(work) do
  local kind, list = w[1], w[2]
  if kind == "D" or kind == "K" then
    -- each key's entry is in its own partition's hash: one HMGET and one HDEL a partition
    local byPart, parts = groupBy(list, dedupHome(kind))
    for _, label in ipairs(parts) do
      local fields, hash = {}, PART[label][1]
      for i, key in ipairs(byPart[label]) do fields[i] = "=" .. key end
      local values = redis.call("HMGET", hash, unpack(fields))
      local gone = {}
      for i, field in ipairs(fields) do
        local v = values[i]
        if v and fromTime(string.match(v, "^([^|]*)")) <= NOW then gone[#gone + 1] = field end
      end
      chunked("HDEL", hash, gone, CHUNK)
    end
  else
    for _, id in ipairs(list) do
      local rec = cache[id]
      if rec then
        local h, body = parse(rec)
        local st = h[F_ST]
        if st == "r" and kind == "L" and fromTime(h[F_LEASE]) <= NOW then
          reclaim(id, h, body)
        elseif st == "s" or st == "c" then
          local expires = fromTime(h[F_EXPIRES]) or 0
          if expires <= NOW then put(id, false); expired = expired + 1 else sweepAdd("G", expires, id) end
        end
      end
    end
  end
end
if full then more = true end
chunked("ZREM", SWEEP, processed, CHUNK)
-- the entries go back if the records' write is refused (record-size limit, see pieces/buffers.ts)
onRefused(function()
  local back = {}
  for _, e in ipairs(processed) do back[#back + 1] = scoreOf[e]; back[#back + 1] = e end
  chunked("ZADD", SWEEP, back, CHUNK)
end)
flush()
-- the fields of the entries handled go once the records are written (an HDEL is never refused)
local spentBy, spentLabels = {}, {}
for _, at in ipairs(spent) do
  if not spentBy[at[1]] then spentBy[at[1]] = {}; spentLabels[#spentLabels + 1] = at[1] end
  table.insert(spentBy[at[1]], at[2])
end
for _, label in ipairs(spentLabels) do chunked("HDEL", PART[label][1], spentBy[label], CHUNK) end
for _, plan in ipairs(plans) do if ix.fold(plan) then more = true end end
return {promoted, requeued, dead, expired, more and 1 or 0}
`,
});
