import { LUA_JOB_EVENTS } from "../../jobs/lua";
import { LUA_STATS } from "../../stats/lua";
import { luaPiece } from "./index";
import { LUA_CACHE } from "./cache";
import { LUA_SEGMENTS } from "./segments";
import { LUA_EXPIRY } from "./expiry";
import { LIVE_MARK_FIELD } from "./live";

/** Dedup keys a dedup-expiry list takes at most (enqueue.ts): upkeep declares their partitions. */
export const DEDUP_LIST_KEYS = 512;

/**
 * Buffered writes: ready/delayed/dead/sweep additions and counters are collected while a script
 * works and written by flush() with one multi-member command each (per partition for records and
 * ready lists), so a script issues a handful of commands whatever its batch size.
 */
export const LUA_BUFFERS = luaPiece(
  "buffers",
  { keys: ["meta", "ready", "prioritized", "delayed", "sweep", "dead"], uses: [LUA_CACHE, LUA_SEGMENTS, LUA_EXPIRY, LUA_STATS, LUA_JOB_EVENTS] },
  String.raw`
-- priority 0 lives in the ready lists; prioritized scores (p:<label>) below ZERO_SCORE are higher priorities
local PRIO_SPAN = 4398046511104
local ZERO_SCORE = 1000 * PRIO_SPAN
-- Upstash refuses a write to a key at its record-size limit where it stands, after the script's
-- earlier writes: the records' write comes first in flush(), and what a script took out of the
-- queue's structures before it (a claim's pops) is put back when that write is refused
local undoSteps = {}
local function onRefused(step) undoSteps[#undoSteps + 1] = step end
local function writeRecords(key, args)
  for i = 1, #args, CHUNK do
    local reply = redis.pcall("HSET", key, unpack(args, i, math.min(i + CHUNK - 1, #args)))
    if type(reply) == "table" and reply.err then
      for j = #undoSteps, 1, -1 do undoSteps[j]() end
      error(reply)
    end
  end
end
-- ids grouped by the key of their partition, in the order the keys first appear (a loop of its
-- own, not groupBy's closure: it runs for every task a script writes)
local function byPartition(ids, slot)
  local groups, order = {}, {}
  for _, id in ipairs(ids) do
    local label = partMemo[id] or partOf(id)
    local p = PART[label]
    local key = p and p[slot] or partKey(label, slot)
    local g = groups[key]
    if not g then g = {}; groups[key] = g; order[#order + 1] = key end
    g[#g + 1] = id
  end
  return groups, order
end
local readyIds, prioEntries, delayedEntries, deadEntries, counters, sweepGroups, sweepOrder = {}, {}, {}, {}, {}, {}, {}
local function count(name, n) counters[name] = (counters[name] or 0) + n end
-- hooks a script sets by including pieces/flow.ts: a task with a flow-control key joins its key's
-- turn (ready), a delayed one carries its key in its member, the flow state is written after the
-- records (flush)
local flowHooks = {}
-- priority 0 goes to its partition's ready list; byList false: to its prioritized set behind every
-- ready list (a promoted task: the ready lists' order is that of their enqueues)
local function makeReady(id, priority, byList)
  if flowHooks.ready and flowHooks.ready(id, priority) then return end
  local p = tonumber(priority) or 0
  if p == 0 and byList ~= false then readyIds[#readyIds + 1] = id
  else prioEntries[#prioEntries + 1] = p; prioEntries[#prioEntries + 1] = id end
end
-- a delayed member carries its priority ("<id>|<priority>"): promotion reads no record
local function delayedMember(id, priority)
  local key = flowHooks.keyOf and flowHooks.keyOf(id)
  if key then return id .. "|" .. (priority or "") .. "|" .. key end
  if priority == nil or priority == "" or priority == "0" then return id end
  return id .. "|" .. priority
end
local function makeDelayed(id, runAt, priority)
  delayedEntries[#delayedEntries + 1] = int(runAt); delayedEntries[#delayedEntries + 1] = delayedMember(id, priority)
end
-- sweep entries: kind L (lease check) and D (dedup expiry); one per partition, kind and due time.
-- The ids go in a field of the partition's hash ("~<kind><tag>": no task id holds "~"), written with
-- its records, and SWEEP gets a small member "<kind><label>\n<tag>" scored when due: the set grows
-- with batches, not with tasks. G (record expiry) entries are listed by due bucket across calls
-- (pieces/expiry.ts). D (dedup expiry) lists dedup keys, escaped (dedupEntry), in the hash of the
-- call's home (enqueue.ts). A claim adds its tasks one by one, mostly to the group of the one
-- before: that group is kept
local lastSweep = {}
local function sweepAdd(kind, due, id, label)
  if kind == "G" then expiry.add(due, id); return end
  if kind ~= "L" then due = math.ceil(due / 1000) * 1000 end
  label = label or partOf(id)
  local last = lastSweep
  if last.due == due and last.label == label and last.kind == kind then last.ids[#last.ids + 1] = id; return end
  local group = label .. "\n" .. kind .. int(due)
  local ids = sweepGroups[group]
  if not ids then ids = {}; sweepGroups[group] = ids; sweepOrder[#sweepOrder + 1] = group end
  ids[#ids + 1] = id
  lastSweep = {due = due, label = label, kind = kind, ids = ids}
end
-- dueRead: refreshDue ran, and nextDue is the earliest delayed task's due time (nil: none left);
-- the settle script hands it back so that its caller asks for a delayed push at that second
local dueRead, nextDue = false, nil
local function refreshDue()
  local first = redis.call("ZRANGE", DPARTS, 0, 0, "WITHSCORES")
  dueRead, nextDue = true, first[2]
  if first[2] then redis.call("HSET", META, "_due", first[2]) else redis.call("HDEL", META, "_due") end
end
-- a claim with keyed work found the ready lists empty and marked it (META and STATS _re, pieces/flow.ts
-- laneSeen), so that the claims after it read no index; tasks made ready unmark it. The mark is
-- read with the stats this call reads anyway: a queue without keys pays no command for it
function statChecks.clearReadyEmpty(mark)
  if mark ~= "1" then return nil end
  redis.call("HDEL", META, "_re")
  return "0"
end
-- READY is the index of partitions with ready lists, scored by when each got work (ms * 4096 + its
-- place in the flush, so a batch spread over partitions keeps its order): a list that was empty
-- joins it (NX: one still in it keeps its place), and claims take the partitions in that order
local function flushReady()
  local lists, order = byPartition(readyIds, 2)
  if #order > 0 then
    local index, at = {}, NOW * 4096
    for _, key in ipairs(order) do
      local ids, length = lists[key], 0
      for i = 1, #ids, CHUNK do length = redis.call("RPUSH", key, unpack(ids, i, math.min(i + CHUNK - 1, #ids))) end
      if length == #ids then index[#index + 1] = int(at); index[#index + 1] = string.sub(key, #META - 1) end
      at = math.min(at + 1, NOW * 4096 + 4095)
    end
    if #index > 0 then redis.call("ZADD", READY, "NX", unpack(index)) end
    count("_rdy", #readyIds)
    readyIds = {}
    -- flow control: the ready lists' empty mark (pieces/flow.ts laneSeen) goes, read with the stats
    statChecks.add("_re", statChecks.clearReadyEmpty)
  end
  local n = #prioEntries / 2
  if n > 0 then
    local last = redis.call("HINCRBY", META, "_seq", n)
    local args = {}
    for i = 1, n do
      args[2 * i - 1] = int((1000 - prioEntries[2 * i - 1]) * PRIO_SPAN + last - n + i)
      args[2 * i] = prioEntries[2 * i]
    end
    -- seg: no flag of its own: a claim knows prioritized work may wait by _seq having moved past
    -- _pe, the _seq of when it last found the prioritized index empty
    count("_prio", segmentAdd(args, SLOT_PRIO, PPARTS, "LT"))
    prioEntries = {}
  end
end
-- the sweep groups as fields of their partitions' hashes (by records key) and SWEEP's members. An L
-- tag (due, now, first id) is all but unique: a field upkeep reads was written at an earlier now, but
-- a task claimed, dead, retried and claimed again within one ms would give its second batch the tag
-- of its first, so a field already there is merged into, never overwritten (one HMGET a partition);
-- D and G fields are named by their due time alone and merged into across calls
local function sweepFields()
  local fields, members, keys, slot = {}, {}, {}, {}
  local function add(label, name, ids, due)
    local key = PART[label][1]
    local f = fields[key]
    if not f then f = {}; fields[key] = f; keys[#keys + 1] = key end
    local i = slot[key .. "\n" .. name]
    if i then f[i + 1] = f[i + 1] .. "," .. table.concat(ids, ","); return end
    f[#f + 1] = name; f[#f + 1] = table.concat(ids, ",")
    slot[key .. "\n" .. name] = #f - 1
    members[#members + 1] = due; members[#members + 1] = string.sub(name, 2, 2) .. label .. "\n" .. string.sub(name, 3)
  end
  for _, group in ipairs(sweepOrder) do
    local label, kind, due = string.match(group, "^(.*)\n(.)(.*)$")
    local ids = sweepGroups[group]
    add(label, "~" .. kind .. ((kind == "D" or kind == "K") and due or (due .. "." .. b36(NOW) .. "." .. ids[1])), ids, due)
  end
  expiry.write(add)
  -- prior[key .. "\n" .. field]: a list merged into, as it was (a refused write puts it back: flush)
  local prior = {}
  for _, key in ipairs(keys) do
    local f, names, at = fields[key], {}, {}
    for i = 1, #f, 2 do
      local known = fieldValue[key .. "\n" .. f[i]]
      if known == nil then names[#names + 1] = f[i]; at[#at + 1] = i
      elseif known then prior[key .. "\n" .. f[i]] = known; f[i + 1] = known .. "," .. f[i + 1] end
    end
    -- fields not read ahead with the records (a claim reads its own batch's: claim.ts)
    if #names > 0 then
      local old = redis.call("HMGET", key, unpack(names))
      for k, value in ipairs(old) do
        if value then prior[key .. "\n" .. names[k]] = value; f[at[k] + 1] = value .. "," .. f[at[k] + 1] end
      end
    end
  end
  sweepGroups, sweepOrder, lastSweep = {}, {}, {}
  return fields, members, prior
end
-- other fields of partitions' hashes written with their records (a dedup key's entry, enqueue.ts)
local extraFields = {}
local function putField(key, name, value)
  local f = extraFields[key]
  if not f then f = {}; extraFields[key] = f end
  f[#f + 1] = name; f[#f + 1] = value
end
-- a dedup key in a sweep list (comma-separated): "%" and "," escaped
local function dedupEntry(key) return (string.gsub(string.gsub(key, "%%", "%%25"), ",", "%%2C")) end
local function dedupKeyOf(entry) return (string.gsub(string.gsub(entry, "%%2C", ","), "%%25", "%%")) end
-- the home of a call's dedup sweep list (enqueue.ts): the first of homes the call holds whose list has
-- room, read here when the entries' read did not (into fieldValue: sweepFields merges it unread)
local function dedupListHome(homes, field)
  local last
  for _, label in ipairs(homes) do
    local p = PART[label]
    if p then
      local at = p[1] .. "\n" .. field
      if fieldValue[at] == nil then fieldValue[at] = redis.call("HGET", p[1], field) or false end
      local list = fieldValue[at]
      if not list or select(2, string.gsub(list, ",", ",")) < ${DEDUP_LIST_KEYS - 1} then return label end
      last = label
    end
  end
  return last
end
local function flush()
  local fields, members, prior = sweepFields()
  for key, f in pairs(extraFields) do
    local own = fields[key]
    if not own then own = {}; fields[key] = own end
    for i = 1, #f do own[#own + 1] = f[i] end
  end
  extraFields = {}
  if flowHooks.fields then flowHooks.fields(fields) end -- flow control: held tasks' fields (pieces/flow-held.ts)
  -- the records by partition, in the order the partitions first appear (written, or deleted when the
  -- cache holds none), after a copy of the partition's own fields: own[key] stays those fields alone,
  -- so that a refused write's undo deletes only them (when one table held both, it deleted the
  -- records it had just put back: test/integration/claim-refused-undo.test.ts)
  local groups, order, sets, dels, own = {}, {}, {}, {}, {}
  local function add(key)
    groups[key], sets[key], dels[key] = {}, {}, {}
    order[#order + 1] = key
    local f = fields[key] or {}
    for i = 1, #f do sets[key][i] = f[i] end
    own[key] = f
  end
  -- a batch's records mostly share a partition: its lists are looked up when the key changes
  local lastKey, g, t, d
  for _, id in ipairs(touched) do
    local label = partMemo[id] or partOf(id)
    local p = PART[label]
    local key = p and p[1] or partKey(label, 1)
    if key ~= lastKey then
      if not groups[key] then add(key) end
      lastKey, g, t, d = key, groups[key], sets[key], dels[key]
    end
    g[#g + 1] = id
    local rec = cache[id]
    if rec then local n = #t; t[n + 1] = id; t[n + 2] = rec else d[#d + 1] = id end
  end
  -- partitions with fields alone (sweep lists' homes) in a fixed order: a refused write undoes the same
  local alone = {}
  for key in pairs(fields) do if not groups[key] then alone[#alone + 1] = key end end
  table.sort(alone)
  for _, key in ipairs(alone) do add(key) end
  for _, key in ipairs(order) do
    writeRecords(key, sets[key])
    -- a later partition's write refused: this one goes back to what the script read
    local written, ownFields = groups[key], own[key]
    onRefused(function()
      local back, gone = {}, {}
      for _, id in ipairs(written) do
        local was = loaded[id]
        if was then back[#back + 1] = id; back[#back + 1] = was else gone[#gone + 1] = id end
      end
      for i = 1, #ownFields, 2 do
        local was = prior[key .. "\n" .. ownFields[i]]
        if was then back[#back + 1] = ownFields[i]; back[#back + 1] = was else gone[#gone + 1] = ownFields[i] end
      end
      chunked("HSET", key, back, CHUNK)
      chunked("HDEL", key, gone, CHUNK)
    end)
  end
  undoSteps = {}
  for _, key in ipairs(order) do chunked("HDEL", key, dels[key], CHUNK) end
  touched, touchedSet = {}, {}
  flushReady()
  if #delayedEntries > 0 then
    count("_dly", segmentAdd(delayedEntries, SLOT_DELAYED, DPARTS, "LT"))
    delayedEntries = {}
    refreshDue()
  end
  if #deadEntries > 0 then count("_xd", segmentAdd(deadEntries, SLOT_DEAD, XPARTS, "GT")); deadEntries = {} end
  if #members > 0 then chunked("ZADD", SWEEP, members, CHUNK) end
  -- [cmds] an enqueue of ready tasks alone hands its counts to the ledger: into a live queue, that
  -- one HINCRBY is all its stats cost (ledger.seen: the live mark's time, which it read)
  -- (only when the stats checks are the mark's and the empty-lane mark's, which the ledger stands for)
  local taken = nil
  local checksKnown = true
  for _, f in ipairs(statChecks.order) do if f ~= "_re" and f ~= "${LIVE_MARK_FIELD}" then checksKnown = false end end
  if checksKnown then taken = ledger.take(counters) end
  if taken ~= nil then counters = {}; stat("_rdy", 0) end
  if taken then
    ledger.seen = taken
    statDelta, statOrder, statChecks.fns, statChecks.order = {}, {}, {}, {}
  else
    -- totals (and _tomb) ride on the stats hash's one read-modify-write instead of a HINCRBY each
    for name, n in pairs(counters) do
      if n ~= 0 then stat(name, n) end
    end
    flushStats(counters)
  end
  flushJobEvents()
  counters = {}
  if flowHooks.flush then flowHooks.flush() end
end
`,
);
