import { HeadField, StateField } from "../../codec";
import { luaPiece } from "./index";
import { headFieldsPattern, leadingStateFields } from "./record";
import { LUA_TRANSITIONS } from "./transitions";
import { LUA_FLOW } from "./flow";
import { LUA_PRIORITIZED } from "./prioritized";
import { LUA_PART_INDEX } from "./part-index";
import { LUA_LIVE } from "./live";

/** The state fields up to RunAt, then the rest from the tab, with the head's creation time. */
const CLAIM_PATTERN = JSON.stringify(JSON.parse(leadingStateFields(StateField.RunAt + 1)) + "[^\t]*(\t" + headFieldsPattern([HeadField.CreatedAt]) + ".*)$");

/**
 * The claim (run by the settle script): priorities above 0 (the partitions' prioritized sets, merged
 * in PPARTS's order), then priority 0 from the ready lists of the partitions in the READY index's
 * order (they may hold tombstones of canceled tasks), then the prioritized sets' priority-0
 * promotions and negative priorities. Records are loaded with the settled ids
 * in one HMGET per partition. A claim takes tasks only from the partitions its call holds and stops
 * at the first it lacks (order is kept): `claimHint` then lists the partitions the next call needs
 * (tasks.ts keeps it per queue and runs a short claim again at once with them).
 * The hot path reads the six leading state fields and the rest of the record in one match and writes
 * the new record with one concatenation (a table parse and format cost twice as much per task).
 */
export const LUA_CLAIM = luaPiece(
  "claim",
  { keys: ["ready"], uses: [LUA_PRIORITIZED, LUA_FLOW, LUA_PART_INDEX, LUA_LIVE] },
  String.raw`
local claimed, claimHint, claimShort = {}, {}, false
-- the six leading state fields, then the rest of the record from its tab with the head's first
-- field (the creation time) captured: one match a task, and the new record one concatenation
local CLAIM_FIELDS = ${CLAIM_PATTERN}
-- what the tasks of a batch share is computed once: the next attempt's number by the last, the
-- lease deadline of tasks without a timeout of their own, the new state of tasks never claimed
local nextAttempt = {}
local function claimFrom(ids, fromList, c)
  local tombs, n = 0, #claimed
  local defaultUntil = NOW + c.leaseMs
  local defaultUntilB36 = b36(defaultUntil)
  local fresh, freshWaits = nil, {}
  local match, sub = string.match, string.sub
  for _, id in ipairs(ids) do
    local rec = cache[id]
    local ok = false
    -- a task never claimed and with no settings of its own, the common record, has the state "q"
    -- alone: a short match reads its creation time (Lua's matcher costs per pattern item), and its
    -- new record is the batch's new state and its own rest; its wait is counted by creation time
    local created = rec and match(rec, "^q\t([^|\n]*)")
    if created then
      fresh = fresh or ("r|1|||" .. c.maxAttempts .. "||" .. c.nowB36 .. "|" .. defaultUntilB36 .. "|" .. c.keepB36)
      local next = fresh .. sub(rec, 2)
      put(id, next)
      sweepAdd("L", defaultUntil, id, partMemo[id])
      freshWaits[created] = (freshWaits[created] or 0) + 1
      claimed[n + 1] = id; claimed[n + 2] = next; n = n + 2
      ok = true
    elseif rec then
      local st, att, prio, timeout, maxAtt, runAt, rest
      st, att, prio, timeout, maxAtt, runAt, rest, created = match(rec, CLAIM_FIELDS)
      -- a promoted task is still "d" (transitions.ts promoteDue); it is in PRIO (or a flow queue)
      -- only, and due whatever this call's NOW says: a request's clock may lag the one that promoted
      -- it (a resent request carries the NOW it was built with), and one taken out and not claimed
      -- would be in no structure at all
      local queued = st == "q" or (st == "d" and not fromList)
      if queued and (not fromList or prio == "") then
        local untilMs, untilB36 = defaultUntil, defaultUntilB36
        local t = timeout ~= "" and tonumber(timeout)
        if t and t > c.leaseMs then untilMs = NOW + t; untilB36 = b36(untilMs) end
        -- the attempt budget is fixed at the first claim: later setting changes do not shrink it
        if maxAtt == "" then maxAtt = c.maxAttempts end
        local attempt = nextAttempt[att]
        if not attempt then attempt = tostring((tonumber(att) or 0) + 1); nextAttempt[att] = attempt end
        local next = "r|" .. attempt .. "|" .. prio .. "|" .. timeout .. "|" .. maxAtt .. "|" .. runAt
          .. "|" .. c.nowB36 .. "|" .. untilB36 .. "|" .. c.keepB36 .. rest
        put(id, next)
        sweepAdd("L", untilMs, id)
        observeClaim(att, runAt, created, untilMs)
        claimed[n + 1] = id; claimed[n + 2] = next; n = n + 2
        ok = true
      end
    end
    if fromList and not ok then tombs = tombs + 1 end
  end
  for created, k in pairs(freshWaits) do observeClaim("", "", created, defaultUntil, k) end
  if tombs > 0 then count("_tomb", -tombs) end
end
local hinted = {}
local function hint(label)
  if not hinted[label] then hinted[label] = true; claimHint[#claimHint + 1] = label end
end
local function needPartition(label) claimShort = true; hint(label) end
-- pops up to "asked" ids from one partition's list into got (put back if the records' write is
-- refused); true when the list ran dry
local function popList(p, asked, got)
  local popped = redis.call("LPOP", p[2], asked) or {}
  -- a list holds ids of its own partition: their label is known without reading the ids
  local label = string.sub(p[1], #META - 1)
  local n = #got
  for i, id in ipairs(popped) do got[n + i] = id; partMemo[id] = label end
  if #popped > 0 then
    count("_rdy", -#popped)
    onRefused(function()
      local back = {}
      for k = #popped, 1, -1 do back[#back + 1] = popped[k] end
      chunked("LPUSH", p[2], back, CHUNK)
    end)
  end
  return #popped < asked
end
-- a partition whose list ran dry leaves the index that held it (from: READY or a group's sub-index,
-- pieces/part-index.ts); back in place if the records' write is refused: at its score, or for the
-- head the last claim left, whose score was not read, ahead of the rest
-- [cmds] the partitions one index read found dry leave it together: one ZREM an index, not one a
-- partition (unindexLater, then unindexNow before the index is read again)
local unindexing = {order = {}}
local function unindex(label, score, from, later)
  from = from or READY
  if later then
    local labels = unindexing[from]
    if not labels then labels = {}; unindexing[from] = labels; unindexing.order[#unindexing.order + 1] = from end
    labels[#labels + 1] = label
  else redis.call("ZREM", from, label) end
  onRefused(function()
    if not score then
      local first = redis.call("ZRANGE", READY, 0, 0, "WITHSCORES")[2]
      score = first and int(tonumber(first) - 1) or int(NOW * 4096)
    end
    redis.call("ZADD", from, score, label)
  end)
end
local function unindexNow()
  for _, from in ipairs(unindexing.order) do redis.call("ZREM", from, unpack(unindexing[from])) end
  unindexing = {order = {}}
end
-- pops up to want ids from the ready lists in READY's order (folded groups expanded), up to the
-- first partition this call lacks. Fast path: meta _rh, the head the last claim left, when this call
-- holds it and it has enough (no read of the index). Otherwise the index's first partitions; _rh is
-- then moved to the first that still holds work. The partitions holding work go to the hint.
-- Second value: the lists may hold more than this took ([enq] false when the index read found every
-- partition it holds and they ran dry: a claim comes back short without reading the index again)
local function popReady(want, head)
  local got = {}
  if head and PART[head] then
    if not popList(PART[head], want, got) then hint(head); return got, true end
    unindex(head, nil)
  end
  local stopped, nextHead = false, nil
  local heads, cut, lackingGroups, stale = ix.range(READY, 2, HEADS, false, true)
  ix.heal(READY, stale)
  local groups = {}
  for _, e in ipairs(heads) do
    local label = e[1]
    local p = PART[label]
    if stopped or #got >= want or not p then
      if not p and not stopped and #got < want then claimShort = true end
      stopped = true
      nextHead = nextHead or label
      hint(label)
    elseif popList(p, want - #got, got) then
      unindex(label, e[2], e[3], true)
      if e[3] ~= READY and not groups[e[3]] then groups[e[3]] = true; groups[#groups + 1] = ix.groupOfKey[e[3]] end
    else nextHead = nextHead or label; hint(label) end
  end
  unindexNow()
  -- folded groups the claim took partitions from: their bounds follow their heads
  for _, group in ipairs(groups) do ix.rehead(READY, 2, group) end
  for _, group in ipairs(lackingGroups) do
    hint(group)
    if not stopped and #got < want then claimShort = true end
  end
  if nextHead then redis.call("HSET", META, "_rh", nextHead) elseif head then redis.call("HDEL", META, "_rh") end
  return got, #got >= want or cut ~= nil or #heads >= HEADS
end
-- c: leaseMs, maxAttempts, nowB36, keepB36; m: the queue's meta (readMeta with _due, _seq, _pe, _rh, _live)
local function claimBatch(claimMax, m, c, settleIds)
  local lackingDue, direct = false, {}
  -- prioritized tasks may wait: some were added since a claim last found none (pieces/buffers.ts)
  local prioMay = m._seq ~= nil and m._seq ~= m._pe
  if m._due and tonumber(m._due) <= NOW then
    local _, _, lacking, promoted, toSets = promoteDue(math.max(claimMax, 100), not prioMay)
    -- due delayed tasks of partitions this call lacks: the next call holds them (at once when
    -- this one comes back short)
    for _, label in ipairs(lacking) do hint(label) end
    lackingDue = #lacking > 0
    if toSets then prioMay = true end
    direct = promoted
  end
  local positives, negatives, z, bound, read, indexed, from, complete = {}, {}, {}, nil, {}, {}, {}, false
  -- due tasks promoted when no prioritized task waited (seg: transitions.ts promoteDue): in claim
  -- order (priority, then when due) here, not in the prioritized sets; what the claim leaves of
  -- them goes there at the flush
  for i, d in ipairs(direct) do d[3] = tonumber(d[2]) or 0; d[4] = i end
  table.sort(direct, function(a, b) return a[3] > b[3] or (a[3] == b[3] and a[4] < b[4]) end)
  for _, d in ipairs(direct) do
    if d[3] > 0 and #positives < claimMax then positives[#positives + 1] = d[1] else negatives[#negatives + 1] = d[1] end
  end
  if prioMay then
    local lacking
    z, bound, read, indexed, lacking, from, complete = prioHeads(claimMax)
    if lacking then hint(lacking) end
    if #indexed == 0 then redis.call("HSET", META, "_pe", m._seq or "0") end
    for _, e in ipairs(z) do
      if e[2] < ZERO_SCORE then positives[#positives + 1] = e[1] else negatives[#negatives + 1] = e[1] end
    end
  end
  -- a lacking partition may hold a higher priority than the ready lists: they wait for the next call
  local positivesCut = bound ~= nil and bound < ZERO_SCORE
  if positivesCut then claimShort = true end
  local popped = {}
  if not positivesCut then
    local want = claimMax - #positives
    want = flow.unkeyedShare(want, m) -- flow control (pieces/flow.ts): the unkeyed lane takes one key's turn
    local more = false
    if want > 0 then popped, more = popReady(want, m._rh) end
    flow.laneSeen(want, #popped, claimShort) -- flow control: an empty lane is marked, not read again
    -- tombstones made the batch short: pop again, a bounded number of times
    local batch = {}
    for _, list in ipairs({positives, popped, settleIds}) do
      local n = #batch
      for i, id in ipairs(list) do batch[n + i] = id end
    end
    local keyed = flow.prepare(claimMax - #positives - #popped, m, needPartition, hint) -- flow control
    for _, id in ipairs(keyed) do batch[#batch + 1] = id end
    -- the batch's sweep field (pieces/buffers.ts sweepFields) as it will most likely be named, read
    -- with the records so that its merge costs no command of its own
    local first = positives[1] or popped[1] or keyed[1]
    if first then prefetch(PART[partOf(first)][1], "~L" .. int(NOW + c.leaseMs) .. "." .. c.nowB36 .. "." .. first) end
    load(batch)
    claimFrom(positives, false, c)
    claimFrom(popped, true, c)
    flow.claim(function(id) claimFrom({id}, false, c) end) -- flow control
    local rounds = 0
    while more and not claimShort and #claimed / 2 < claimMax and #popped > 0 and rounds < 4 do
      popped, more = popReady(claimMax - #claimed / 2, nil)
      load(popped)
      claimFrom(popped, true, c)
      rounds = rounds + 1
    end
  else
    for _, label in ipairs(redis.call("ZRANGE", READY, 0, HEADS - 1)) do hint(label) end
    local batch = {}
    for _, id in ipairs(positives) do batch[#batch + 1] = id end
    for _, id in ipairs(settleIds) do batch[#batch + 1] = id end
    load(batch)
    claimFrom(positives, false, c)
  end
  local room = claimMax - #claimed / 2
  local taking = #positives
  if room > 0 and #negatives > 0 and not claimShort then
    local more = {}
    for i = 1, math.min(room, #negatives) do more[i] = negatives[i] end
    taking = taking + #more
    load(more)
    claimFrom(more, false, c)
  end
  -- seg: the promoted tasks this claim left (direct above) wait in the prioritized sets
  for _, d in ipairs(direct) do if not cache[d[1]] or string.sub(cache[d[1]], 1, 1) ~= "r" then makeReady(d[1], d[2], false) end end
  if lackingDue and #claimed / 2 < claimMax then claimShort = true end
  -- the prioritized list stopped at a lacking partition before the claim was full
  if bound and not claimShort and #claimed / 2 < claimMax and taking == #z then claimShort = true end
  local taken = {}
  for i = 1, taking do taken[i] = z[i] end
  local emptied = #taken > 0 and takePrio(taken, read, indexed, from, complete, m._seq) or {}
  -- the prioritized index's first partitions (read anyway) but those the claim emptied: the next
  -- call holds them, so that the claim which drains one goes on into the next
  local gone = {}
  for _, label in ipairs(emptied) do gone[label] = true end
  for _, label in ipairs(indexed) do if not gone[label] then hint(label) end end
  liveAfterClaim(#claimed / 2, m._live) -- [edge] the live-invocation mark (pieces/live.ts)
end
`,
);
