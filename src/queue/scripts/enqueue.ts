import { LUA_SETTINGS } from "./pieces/settings";
import { LUA_BUFFERS } from "./pieces/buffers";
import { LUA_FLOW } from "./pieces/flow";
import { LIVE_MARK_FIELD } from "./pieces/live";
import { defineQueueScript } from "./queue-script";
import { DEDUP_HASHED_PARTITIONS } from "../ids";
import { DEDUP_LIST_KEYS } from "./pieces/buffers";

export const enqueueScript = defineQueueScript({
  name: "enqueue",
  summary: "creates a batch of tasks (records packed by the caller: records.ts packEnqueue)",
  keys: ["sweep", "pushEpoch"],
  uses: [LUA_SETTINGS, LUA_BUFFERS, LUA_FLOW],
  partitioned: true,
  contract: String.raw`
ARGV[1] now ms   ARGV[2] defaults   ARGV[3] queue name   ARGV[4] N tasks
ARGV[5] "1": also read what the push to a worker needs (saves the push a request of its own), else "0"
then N quintuples: local id, "1" when the caller chose the id (check for an existing task), dedupKey
  ("" none), route ("" ready at priority 0 | "p<priority>" ready | "d<runAt ms>[|<priority>]" delayed), record
The partitions declared hold every task's and every dedup key's (field "=<dedupKey>" of the hashed
partition of the key, ids.ts dedupPartitionOf) and, with dedup keys, ids.ts dedupSweepHome's.
Returns { results, pushInfo }: results is id, state letter, "1" when duplicate else "0", per task;
pushInfo is {} or, when asked, { paused (nil|"0"|"1"), maxParallel (nil: the default), push epoch (nil: 0),
  live ("1" while a worker invocation's live mark stands, pieces/live.ts: it will claim these tasks,
  so no push is due and the epoch is not read; else nil) }. The mark is read with the stats: a live
  call that made no delayed task reads no META either, and answers paused and maxParallel nil.
A duplicate (existing id, or a dedupKey seen within the queue's dedupWindowMs whose task still
exists) creates nothing and answers with the existing task. Errors: -6 BadScriptArguments.
{"_need", labels}: nothing written; run again with those partitions too (a dedup key's task's).
`,
  body: String.raw`
local queue, n = ARGV[3], tonumber(ARGV[4])
if not n or #ARGV ~= 5 + n * 5 then return -6 end
local check, keys = {}, {}
for i = 0, n - 1 do
  local at = 6 + i * 5
  if ARGV[at + 1] == "1" then check[#check + 1] = ARGV[at] end
  if ARGV[at + 2] ~= "" then keys[#keys + 1] = ARGV[at + 2] end
end

-- dedup: "<until36>|<id>" per key, in field "=<key>" of the key's hashed partition (one HMGET a
-- partition); entries past their window are ignored and later swept
local window, firstOf, sweepDue, homes, home = 0, {}, 0, {}, nil
if #keys > 0 then
  window = tonumber(readMeta({}).dedupWindowMs) or 0
  if window > 0 then
    local byLabel, labels = groupBy(keys, dedupPartOf)
    -- dedup keys leave at most 1/64th of the window late; a call lists its keys in one sweep field,
    -- merged into by the calls of the same due time and home, read with the entries where it can be
    -- (the merge then costs no command of its own). The home is one of the DEDUP_HASHED_PARTITIONS
    -- (ids.ts dedupSweepHome): the first key's when it is hashed, else the one of this second, which
    -- the caller declares; so the sweep set holds at most 128 dedup members a due time, whatever the
    -- keys (a ULID key's own partition made one member a key under a trickle). A list of
    -- ${DEDUP_LIST_KEYS} keys takes no more: the other home (the last when both are full)
    local step = math.max(1, math.floor(window / 64000)) * 1000
    sweepDue = math.ceil((NOW + window) / step) * step
    local sweepField = "~D" .. int(sweepDue)
    local first, second = dedupPartOf(keys[1]), "%" .. (math.floor(NOW / 1000) % ${DEDUP_HASHED_PARTITIONS})
    homes = string.sub(first, 1, 1) == "%" and {first, second} or {second, first}
    for _, label in ipairs(labels) do
      local group, fields, hash = byLabel[label], {}, partKey(label, 1)
      for i, key in ipairs(group) do fields[i] = "=" .. key end
      fields[#fields + 1] = sweepField
      local values = redis.call("HMGET", hash, unpack(fields))
      fieldValue[hash .. "\n" .. sweepField] = values[#fields] or false
      for i, key in ipairs(group) do
        local v = values[i]
        if v then
          local until36, id = string.match(v, "^([^|]*)|(.*)$")
          if fromTime(until36) > NOW then firstOf[key] = id; check[#check + 1] = id end
        end
      end
    end
    home = dedupListHome(homes, sweepField)
  end
end
-- a dedup hit may name a task of a partition the caller could not know of
local need = undeclared(check)
if #need > 0 then return {NEED, need} end
load(check)

local out, created, delayedMade = {}, 0, 0
local until36 = b36(NOW + window)
for i = 0, n - 1 do
  local at = 6 + i * 5
  local id, key, route, rec = ARGV[at], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
  local existing = nil
  if key ~= "" and firstOf[key] and cache[firstOf[key]] then existing = firstOf[key]
  elseif cache[id] then existing = id end
  if existing then
    out[#out + 1] = existing; out[#out + 1] = string.sub(cache[existing], 1, 1); out[#out + 1] = "1"
  else
    put(id, rec)
    flow.enqueued(id) -- flow control: the latest enqueued task's limits win for its key
    local kind = string.sub(route, 1, 1)
    if kind == "d" then
      local runAt, priority = string.match(route, "^d([^|]*)|?(.*)$")
      makeDelayed(id, tonumber(runAt), priority)
      delayedMade = delayedMade + 1
    else makeReady(id, string.sub(route, 2)) end
    if key ~= "" and window > 0 then
      firstOf[key] = id
      putField(partKey(dedupPartOf(key), 1), "=" .. key, until36 .. "|" .. id)
      sweepAdd("D", sweepDue, dedupEntry(key), home)
    end
    created = created + 1
    out[#out + 1] = id; out[#out + 1] = string.sub(rec, 1, 1); out[#out + 1] = "0"
  end
end

if created > 0 then count("enqueued", created) end
-- [enq] the live mark's copy in the stats hash, read with the stats (pieces/live.ts)
local live = nil
if ARGV[5] == "1" then statChecks.add("${LIVE_MARK_FIELD}", function(mark) live = (tonumber(mark) or 0) > NOW end) end
flush()
-- [cmds] the ledger took the counts and read the mark standing (pieces/buffers.ts flush)
if ledger.seen then live = true end
local pushInfo = {}
if live and delayedMade == 0 then pushInfo = {false, false, false, "1"}
elseif live then pushInfo = redis.call("HMGET", META, "paused", "maxParallel"); pushInfo[3], pushInfo[4] = false, "1"
elseif ARGV[5] == "1" then
  pushInfo = redis.call("HMGET", META, "paused", "maxParallel")
  pushInfo[3] = redis.call("GET", PUSH_EPOCH)
end
return {out, pushInfo}
`,
});
