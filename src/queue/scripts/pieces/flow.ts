import { luaPiece } from "./index";
import { LUA_FLOW_STATE } from "./flow-state";

/**
 * Flow control inside the queue scripts (README "Flow control"): per-key parallelism and rate, and
 * round-robin across keys. A keyed task that becomes ready joins FLOWQ at its key's next round
 * (max(key's last round, queue's round) + 1) under its priority, so that one ZPOPMIN takes the head
 * of every key's backlog in turn: a key with one task is not behind another's 100,000, and the work
 * is O(keys in the batch), a few commands per batch whatever the number of keys. A popped task whose
 * key has no free slot or token moves to FLOWHELD (once); its key waits in FLOWOPEN, scored when a
 * slot or token opens (a lease deadline, a start leaving the window, or now on a settle), and the
 * claim takes the held tasks of due keys first. The settle script hands back the earliest FLOWOPEN
 * score as part of its nextDue, so a push is scheduled for that second: the cron is never needed.
 * Tasks without a key keep the ready list; that lane gets one key's share of each claim.
 */
export const LUA_FLOW = luaPiece(
  "flow",
  { keys: ["meta", "flowQueue", "flowHeld", "flowOpen"], uses: [LUA_FLOW_STATE] },
  String.raw`
local flowPend, flowLimits, flowLimitKeys, flowFreed = {}, {}, {}, {}
local flowCands, flowHeldAdd, flowHeldRem = {}, {}, {}
local flowNextAt = nil
flowHooks.ready = function(id, priority)
  local key, par, rate, period = flowOf(cache[id])
  if not key then return false end
  flowPend[#flowPend + 1] = {key, id, tonumber(priority) or 0, par, rate, period}
  return true
end
-- an enqueued task's limits become its key's: the latest enqueued wins, as in QStash
local function flowEnqueued(id)
  local key, par, rate, period = flowOf(cache[id])
  if not key then return end
  if not flowLimits[key] then flowLimitKeys[#flowLimitKeys + 1] = key end
  flowLimits[key] = {par, rate, period}
end
-- a running task settled or failed: its slot is free from now on
local function flowSettled(rec)
  local key = flowOf(rec)
  if key then flowFreed[#flowFreed + 1] = {key, fromTime(parse(rec)[F_LEASE])} end
end
-- a lease renewed: its slot moves to the new deadline
local function flowExtended(rec, untilMs)
  local key = flowOf(rec)
  if key then flowFreed[#flowFreed + 1] = {key, fromTime(parse(rec)[F_LEASE]), untilMs} end
end
local function flowQueuePending()
  if #flowPend == 0 and #flowLimitKeys == 0 then return end
  local keys = {}
  for _, e in ipairs(flowPend) do keys[#keys + 1] = e[1] end
  for _, k in ipairs(flowLimitKeys) do keys[#keys + 1] = k end
  flowRead(keys)
  for _, k in ipairs(flowLimitKeys) do
    local s, l = flowSt[k], flowLimits[k]
    s.par, s.rate, s.period, s.new = l[1], l[2], l[3], false
    flowTouch(k)
  end
  flowLimits, flowLimitKeys = {}, {}
  local args = {}
  for _, e in ipairs(flowPend) do
    local s = flowSt[e[1]]
    -- a key seen for the first time takes its limits from the task
    if s.new then s.par, s.rate, s.period, s.new = e[4], e[5], e[6], false end
    local round = math.max(s.last, flowG.round) + 1
    s.last, s.waiting, flowG.queued = round, s.waiting + 1, flowG.queued + 1
    args[#args + 1] = int((1000 - e[3]) * PRIO_SPAN + round); args[#args + 1] = e[1] .. "\n" .. e[2]
    flowTouch(e[1])
  end
  flowPend = {}
  if #args > 0 then chunked("ZADD", FLOWQ, args, CHUNK) end
end
-- the ready list's part of a claim of room when keys are active: one key's turn
local function flowUnkeyedShare(room, hint)
  local active = tonumber(hint) or 0
  if active <= 0 or room <= 0 then return room end
  return math.ceil(room / (active + 1))
end
local function flowUsable(key)
  local s = flowSt[key]
  if not s.pruned then flowPrune(s); s.free, s.pruned = flowFree(s), true end
  return s
end
local function flowReserve(s, key, member, id, queued)
  flowCands[#flowCands + 1] = {key, id}
  s.free = s.free - 1
  if queued then s.waiting, flowG.queued = s.waiting - 1, flowG.queued - 1
  else s.held, flowG.held = s.held - 1, flowG.held - 1; flowHeldRem[#flowHeldRem + 1] = member end
  flowTouch(key)
  return id
end
-- chooses up to room keyed tasks to claim (their ids, to load with the claim's records): held
-- tasks of keys open again first (they waited longest), then FLOWQ's head; tasks of keys without a
-- free slot or token are held back
local function flowPrepare(room, hint)
  if #flowPend == 0 and (tonumber(hint) or 0) <= 0 then return {} end
  flowQueuePending()
  flowRead({})
  local ids = {}
  if room <= 0 then return ids end
  if flowG.held > 0 then
    local open = redis.call("ZRANGEBYSCORE", FLOWOPEN, "-inf", NOW, "LIMIT", 0, room)
    flowRead(open)
    for _, key in ipairs(open) do
      local s = flowUsable(key)
      s.inOpen = true
      flowTouch(key)
      local n = math.min(s.free, s.held, room - #ids)
      if n > 0 then
        local held = redis.call("ZRANGEBYLEX", FLOWHELD, "[" .. key .. "\n", "[" .. key .. "\n\255", "LIMIT", 0, n)
        -- the set is the truth when the count drifted (a canceled task's entry, a lost write)
        if #held < n then flowG.held = flowG.held - (s.held - #held); s.held = #held end
        for _, member in ipairs(held) do ids[#ids + 1] = flowReserve(s, key, member, string.match(member, "\n[^\n]*\n(.*)$"), false) end
      end
    end
  end
  local want = room - #ids
  if want <= 0 or flowG.queued <= 0 then return ids end
  local popped = redis.call("ZPOPMIN", FLOWQ, want)
  if #popped / 2 < want then flowG.queued = #popped / 2 end
  onRefused(function()
    local back = {}
    for i = 1, #popped, 2 do back[#back + 1] = popped[i + 1]; back[#back + 1] = popped[i] end
    chunked("ZADD", FLOWQ, back, CHUNK)
  end)
  local entries, keys = {}, {}
  for i = 1, #popped, 2 do
    local key, id = string.match(popped[i], "^(.*)\n(.*)$")
    entries[#entries + 1] = {key, popped[i], id, tonumber(popped[i + 1])}
    keys[#keys + 1] = key
  end
  flowRead(keys)
  for _, e in ipairs(entries) do
    local key, score = e[1], e[4]
    local s = flowUsable(key)
    flowG.round = math.max(flowG.round, score % PRIO_SPAN)
    if s.held == 0 and s.free > 0 then ids[#ids + 1] = flowReserve(s, key, e[2], e[3], true)
    else
      flowHeldAdd[#flowHeldAdd + 1] = 0
      flowHeldAdd[#flowHeldAdd + 1] = key .. "\n" .. string.format("%017.0f", score) .. "\n" .. e[3]
      s.waiting, s.held, flowG.queued, flowG.held = s.waiting - 1, s.held + 1, flowG.queued - 1, flowG.held + 1
      flowTouch(key)
    end
  end
  return ids
end
-- claims the chosen tasks (a canceled one is dropped) and counts their leases and starts
local function flowClaim(claimFrom)
  for _, c in ipairs(flowCands) do
    local key, id = c[1], c[2]
    local rec = cache[id]
    if rec and string.find(rec, "^q[|\t]") then
      claimFrom({id}, false)
      local s = flowSt[key]
      flowAddGroup(s.leases, fromTime(parse(cache[id])[F_LEASE]), 1)
      if (s.rate > 0) then flowAddGroup(s.starts, NOW, 1) end
    end
  end
  flowCands = {}
end
local function flowWriteKeys()
  local sets, opens, closed = {"", ""}, {}, {}
  for _, key in ipairs(flowDirtyKeys) do
    local s = flowSt[key]
    flowPrune(s)
    local active = s.waiting > 0 or s.held > 0
    if active ~= s.wasActive then flowG.active = flowG.active + (active and 1 or -1); s.wasActive = active end
    if s.held > 0 then
      opens[#opens + 1] = int(flowFree(s) > 0 and NOW or flowOpensAt(s)); opens[#opens + 1] = key
    elseif s.inOpen or s.wasHeld then closed[#closed + 1] = key end
    sets[#sets + 1] = key; sets[#sets + 1] = flowFormat(s)
  end
  flowDirty, flowDirtyKeys = {}, {}
  sets[2] = int(flowG.round) .. "|" .. flowG.active .. "|" .. flowG.queued .. "|" .. flowG.held
  chunked("HSET", FLOW, sets, CHUNK)
  chunked("ZADD", FLOWOPEN, opens, CHUNK)
  chunked("ZREM", FLOWOPEN, closed, CHUNK)
end
flowHooks.flush = function()
  flowQueuePending()
  if #flowFreed > 0 then
    local keys = {}
    for _, f in ipairs(flowFreed) do keys[#keys + 1] = f[1] end
    flowRead(keys)
    for _, f in ipairs(flowFreed) do
      local s = flowSt[f[1]]
      for _, g in ipairs(s.leases) do if g[1] == f[2] and g[2] > 0 then g[2] = g[2] - 1; break end end
      if f[3] then flowAddGroup(s.leases, f[3], 1) end
      flowTouch(f[1])
    end
    flowFreed = {}
  end
  if not flowG then return end
  chunked("ZADD", FLOWHELD, flowHeldAdd, CHUNK)
  chunked("ZREM", FLOWHELD, flowHeldRem, CHUNK)
  flowHeldAdd, flowHeldRem = {}, {}
  if #flowDirtyKeys > 0 then flowWriteKeys() end
  -- META's hint: the active keys, at least 1 while anything keyed is queued or held
  local hint = flowG.active
  if hint <= 0 and (flowG.queued > 0 or flowG.held > 0) then hint = 1 end
  if hint ~= flowG.hint then
    if hint > 0 then redis.call("HSET", META, "_fz", hint) else redis.call("HDEL", META, "_fz") end
    flowG.hint = hint
  end
  flowNextAt = nil
  if flowG.held > 0 then flowNextAt = tonumber(redis.call("ZRANGE", FLOWOPEN, 0, 0, "WITHSCORES")[2]) end
end
-- the caller's next push: the earlier of the delayed tasks' due time and a held key's opening
-- (never before the next millisecond: the caller pushes for times still to come)
local function flowDue(due)
  if not flowNextAt then return due end
  local at = math.max(flowNextAt, NOW + 1)
  local d = tonumber(due)
  if d and d <= at then return due end
  return int(at)
end
`,
);
