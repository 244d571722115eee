import { luaPiece } from "./index";
import { LUA_FLOW_STATE } from "./flow-state";
import { LUA_FLOW_QUEUE } from "./flow-queue";
import { LUA_FLOW_HELD } from "./flow-held";

/**
 * Flow control inside the queue scripts (README "Flow control"): per-key parallelism and rate, and
 * round-robin across keys. A keyed task that becomes ready joins its partition's flow queue at its
 * key's next round (max(key's last round, queue's round) + 1) under its priority, and the claim takes
 * the flow queues' heads in score order (flow-queue.ts): the head of every key's backlog in turn, so a
 * key with one task is not behind another's 100,000, and the work is O(keys in the batch), a few
 * commands per batch whatever the number of keys. A popped task whose key has no free slot or token
 * is held back (flow-held.ts, once); its key waits in FLOWOPEN, scored when a slot or token opens (a
 * lease deadline, a start leaving the window, or now on a settle), and the claim takes the held tasks
 * of due keys first. The settle script hands back the earliest FLOWOPEN score as part of its nextDue,
 * so a push is scheduled for that second: the cron is never needed. Tasks without a key keep the
 * ready list; that lane takes one key's turn in each round. A queue that has never had a keyed task
 * does no flow bookkeeping at all (META _fz is absent; the stats counter _fq counts keyed tasks
 * waiting or held, so no script counts a flow set).
 */
export const LUA_FLOW = luaPiece(
  "flow",
  { keys: ["meta", "flowOpen"], uses: [LUA_FLOW_STATE, LUA_FLOW_QUEUE, LUA_FLOW_HELD] },
  String.raw`
flow.pend, flow.limits, flow.limitKeys, flow.freed = {}, {}, {}, {}
flow.cands = {}
flowHooks.fields = function(fields) flow.heldFields(fields) end
-- a promoted delayed task's key comes with its member ("<id>|<priority>|<key>", buffers.ts
-- delayedMember), since promotion reads no record; any other's from its record
flowHooks.ready = function(id, priority)
  local key, par, rate, period
  local p, memberKey = string.match(priority or "", "^([^|]*)|(.+)$")
  if memberKey then key, priority = memberKey, p
  else key, par, rate, period = flow.of(cache[id]) end
  if not key then return false end
  flow.pend[#flow.pend + 1] = {key, id, tonumber(priority) or 0, par or 0, rate or 0, period or 1000}
  count("_fq", 1)
  return true
end
flowHooks.keyOf = function(id) return (flow.of(cache[id])) end
-- an enqueued task's limits become its key's: the latest enqueued wins, as in QStash
function flow.enqueued(id)
  local key, par, rate, period = flow.of(cache[id])
  if not key then return end
  if not flow.limits[key] then flow.limitKeys[#flow.limitKeys + 1] = key end
  flow.limits[key] = {par, rate, period}
end
-- a running task settled or failed: its slot is free from now on
function flow.settled(rec)
  local key = flow.of(rec)
  if key then flow.freed[#flow.freed + 1] = {key, fromTime(parse(rec)[F_LEASE])} end
end
-- a lease renewed: its slot moves to the new deadline
function flow.extended(rec, untilMs)
  local key = flow.of(rec)
  if key then flow.freed[#flow.freed + 1] = {key, fromTime(parse(rec)[F_LEASE]), untilMs} end
end
function flow.queuePending()
  if #flow.pend == 0 and #flow.limitKeys == 0 then return end
  local keys = {}
  for _, e in ipairs(flow.pend) do keys[#keys + 1] = e[1] end
  for _, k in ipairs(flow.limitKeys) do keys[#keys + 1] = k end
  flow.read(keys)
  for _, k in ipairs(flow.limitKeys) do
    local s, l = flow.st[k], flow.limits[k]
    s.par, s.rate, s.period, s.new = l[1], l[2], l[3], false
    flow.touch(k)
  end
  flow.limits, flow.limitKeys = {}, {}
  local entries = {}
  for _, e in ipairs(flow.pend) do
    local s = flow.st[e[1]]
    -- a key seen for the first time takes its limits from the task
    if s.new then s.par, s.rate, s.period, s.new = e[4], e[5], e[6], false end
    local round = math.max(s.last, flow.g.round) + 1
    s.last, s.waiting, flow.g.queued = round, s.waiting + 1, flow.g.queued + 1
    entries[#entries + 1] = {(1000 - e[3]) * PRIO_SPAN + round, e[1] .. "\n" .. e[2], e[2]}
    flow.touch(e[1])
  end
  flow.pend = {}
  flow.addQueued(entries)
end
-- the ready list's part of a claim of room when keys are active: one key's turn in each round. A
-- claim smaller than a round gives the lane its turn once a round, when a keyed task of a round it
-- has not had its turn in was claimed since (prepare then moves the lane's round). m: the claim's
-- META (_fz active keys; _re the ready lists found empty, laneSeen: the lane then takes no turn)
function flow.unkeyedShare(room, m)
  local active = tonumber(m._fz) or 0
  flow.laneRoom, flow.laneActive = nil, active > 0 and m._re ~= "1"
  if active <= 0 or room <= 0 then return room end
  if m._re == "1" then return 0 end
  if room > active then return math.ceil(room / (active + 1)) end
  flow.read({})
  if flow.g.lane >= flow.g.round then return 0 end
  flow.laneRoom = room
  return 1
end
-- the lane was given room and the ready lists gave nothing while keys are active: they are empty
-- (short: the claim stopped at a partition it lacks, which may hold some), so META and STATS _re
-- mark it and the claims after it read no index until a task is made ready (buffers.ts
-- clearReadyEmpty). Marked only when a claim finds the lane empty, not when it empties it, so that
-- a steady trickle of tasks without a key sets and clears no mark
function flow.laneSeen(room, popped, short)
  if not flow.laneActive or room <= 0 or popped > 0 or short then return end
  statChecks.add("_re", function(mark)
    flow.laneMarked = true
    if mark ~= "1" then return "1" end
  end)
end
function flow.usable(key)
  local s = flow.st[key]
  if not s.pruned then flow.prune(s); s.free, s.pruned = flow.free(s), true end
  return s
end
function flow.reserve(s, key, id, queued)
  flow.cands[#flow.cands + 1] = {key, id}
  s.free = s.free - 1
  if queued then s.waiting, flow.g.queued = s.waiting - 1, flow.g.queued - 1
  else s.held, flow.g.held = s.held - 1, flow.g.held - 1 end
  flow.touch(key)
  return id
end
-- chooses up to room keyed tasks to claim (their ids, to load with the claim's records): held
-- tasks of keys open again first (they waited longest), then the flow queues' heads; tasks of keys
-- without a free slot or token are held back. Only tasks of partitions this call holds are taken;
-- needPartition(label) asks for the others and hintLabel(label) names those the next claim should hold
-- (pieces/claim.ts hint). m: the queue's META as the claim read it (_fz active keys, _fh tasks held,
-- _fq the flow queues' head hint), so that a queue without keys reads nothing
function flow.prepare(room, m, needPartition, hintLabel)
  local hint, heldHint = m._fz, m._fh
  if #flow.pend == 0 and (tonumber(hint) or 0) <= 0 then return {} end
  flow.queuePending()
  -- the lane had its turn of this round when it took a task (room is what it left)
  if flow.laneRoom and room < flow.laneRoom then flow.g.lane = flow.g.round; flow.gDirty = true end
  local ids = {}
  if room <= 0 then return ids end
  if heldHint == "1" then
    local open = redis.call("ZRANGEBYSCORE", FLOWOPEN, "-inf", NOW, "LIMIT", 0, room)
    flow.read(open)
    for _, key in ipairs(open) do
      local s = flow.usable(key)
      s.inOpen = true
      flow.touch(key)
      local n = math.min(s.free, room - #ids)
      if n > 0 then
        local held = flow.takeHeld(s, key, n, needPartition)
        for _, id in ipairs(held) do ids[#ids + 1] = flow.reserve(s, key, id, false) end
        -- the fields are the truth when the count drifted (a lost write)
        if #s.heldParts == 0 and s.held > 0 then flow.g.held = flow.g.held - s.held; s.held = 0 end
      end
    end
  end
  local want = room - #ids
  if want <= 0 or (flow.g and flow.g.queued <= 0) then return ids end
  local popped, dry, head = flow.popQueued(want, m._fq, needPartition, hintLabel)
  local keys = {}
  for _, e in ipairs(popped) do
    local key, id = string.match(e[1], "^(.*)\n(.*)$")
    e[4], e[5] = key, id
    keys[#keys + 1] = key
  end
  flow.read(keys)
  flow.applyMoves()
  if (head or "") ~= (flow.headGone and "" or (m._fq or "")) then
    if head then redis.call("HSET", META, "_fq", head) else redis.call("HDEL", META, "_fq") end
    flow.g.head, flow.gDirty = head or "", true
  end
  -- every flow queue ran dry: the count is exact again
  if dry then flow.g.queued = #popped end
  -- the held fields these pops will append to, read in one HMGET a partition (as the loop below decides)
  local hold, free = {}, {}
  for _, e in ipairs(popped) do
    local s = flow.usable(e[4])
    local f = free[e[4]] or (s.held == 0 and s.free or 0)
    if f > 0 then free[e[4]] = f - 1 else free[e[4]] = 0; hold[#hold + 1] = {partOf(e[5]), e[4]} end
  end
  if #hold > 0 then flow.readHeld(hold) end
  for _, e in ipairs(popped) do
    local key, id, score = e[4], e[5], e[2]
    local s = flow.usable(key)
    flow.g.round = math.max(flow.g.round, score % PRIO_SPAN)
    if s.held == 0 and s.free > 0 then ids[#ids + 1] = flow.reserve(s, key, id, true)
    else
      flow.hold(s, key, id)
      s.waiting, s.held, flow.g.queued, flow.g.held = s.waiting - 1, s.held + 1, flow.g.queued - 1, flow.g.held + 1
      flow.touch(key)
    end
  end
  return ids
end
-- claims the chosen tasks (a canceled one is dropped) and counts their leases and starts;
-- claimOne(id) is the claim's own (pieces/claim.ts claimFrom)
function flow.claim(claimOne)
  -- popped tasks leave the count but canceled ones, which the cancel counted out (swept: no record)
  local live = 0
  for _, c in ipairs(flow.cands) do
    local key, id = c[1], c[2]
    local rec = cache[id]
    local before = rec and string.sub(rec, 1, 1)
    if before and before ~= "c" then live = live + 1 end
    if before and before ~= "r" then claimOne(id) end
    if before and before ~= "r" and string.sub(cache[id], 1, 1) == "r" then
      local s = flow.st[key]
      flow.addGroup(s.leases, fromTime(parse(cache[id])[F_LEASE]), 1)
      if (s.rate > 0) then flow.addGroup(s.starts, NOW, 1) end
    end
  end
  if live > 0 then count("_fq", -live) end
  flow.cands = {}
end
function flow.writeKeys()
  local sets, opens, closed = {"", ""}, {}, {}
  for _, key in ipairs(flow.dirtyKeys) do
    local s = flow.st[key]
    -- a key the claim pruned already is pruned again only when held (its opening time needs the counts)
    if s.held > 0 or not s.pruned then flow.prune(s) end
    local active = s.waiting > 0 or s.held > 0
    if active ~= s.wasActive then flow.g.active = flow.g.active + (active and 1 or -1); s.wasActive = active end
    if s.held > 0 then
      opens[#opens + 1] = int(flow.free(s) > 0 and NOW or flow.opensAt(s)); opens[#opens + 1] = key
    elseif s.inOpen or s.wasHeld then closed[#closed + 1] = key end
    sets[#sets + 1] = key; sets[#sets + 1] = flow.format(s)
  end
  flow.dirty, flow.dirtyKeys = {}, {}
  sets[2] = int(flow.g.round) .. "|" .. flow.g.active .. "|" .. flow.g.queued .. "|" .. flow.g.held .. "|" .. int(flow.g.lane) .. "|" .. flow.g.head
    .. "|" .. flow.g.tail
  chunked("HSET", FLOW, sets, CHUNK)
  chunked("ZADD", FLOWOPEN, opens, CHUNK)
  chunked("ZREM", FLOWOPEN, closed, CHUNK)
end
flowHooks.flush = function()
  -- after the stats' write, which wrote STATS _re: META's mark never stands without it
  if flow.laneMarked then redis.call("HSET", META, "_re", "1"); flow.laneMarked = false end
  flow.queuePending()
  if #flow.freed > 0 then
    local keys = {}
    for _, f in ipairs(flow.freed) do keys[#keys + 1] = f[1] end
    flow.read(keys)
    for _, f in ipairs(flow.freed) do
      local s = flow.st[f[1]]
      for _, g in ipairs(s.leases) do if g[1] == f[2] and g[2] > 0 then g[2] = g[2] - 1; break end end
      if f[3] then flow.addGroup(s.leases, f[3], 1) end
      flow.touch(f[1])
    end
    flow.freed = {}
  end
  if not flow.g then return end
  flow.dropEmptyHeld()
  if #flow.dirtyKeys > 0 or flow.gDirty then flow.writeKeys(); flow.gDirty = false end
  -- META's hint: the active keys, at least 1 while anything keyed is queued or held
  local hint = flow.g.active
  if hint <= 0 and (flow.g.queued > 0 or flow.g.held > 0) then hint = 1 end
  if hint ~= flow.g.hint then
    if hint > 0 then redis.call("HSET", META, "_fz", hint) else redis.call("HDEL", META, "_fz") end
    flow.g.hint = hint
  end
  if (flow.g.held > 0) ~= flow.g.heldHint then
    if flow.g.held > 0 then redis.call("HSET", META, "_fh", "1") else redis.call("HDEL", META, "_fh") end
    flow.g.heldHint = flow.g.held > 0
  end
  flow.nextAt = nil
  if flow.g.held > 0 then flow.nextAt = tonumber(redis.call("ZRANGE", FLOWOPEN, 0, 0, "WITHSCORES")[2]) end
end
-- the caller's next push: the earlier of the delayed tasks' due time and a held key's opening
-- (never before the next millisecond: the caller pushes for times still to come)
function flow.due(due)
  if not flow.nextAt then return due end
  local at = math.max(flow.nextAt, NOW + 1)
  local d = tonumber(due)
  if d and d <= at then return due end
  return int(at)
end
`,
);
