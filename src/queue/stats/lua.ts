/**
 * Lua for the statistics, a piece of every state-changing script (scripts/pieces/buffers.ts) so that it
 * updates them in the call it already makes: no extra round trip, and two commands per batch
 * whatever its size (one HMGET and one HSET on the stats hash; an enqueue makes one HINCRBY).
 *
 * The stats hash, one per queue. Fields:
 *   "<minute>:<letter>"     tasks per minute: e enqueued, s succeeded, f failed attempts, x dead,
 *                           c canceled, r retried from dead (minute = floor(ms / 60000))
 *   "<minute>:d<bucket>"    run-time histogram of that minute (claim to settle of an attempt),
 *   "<minute>:ds"           and its sum in ms
 *   "<minute>:w<bucket>"    wait histogram of that minute (ready to first claim), "<minute>:ws"
 *   "d<bucket>", "ds"       run-time histogram since the queue began, and its sum in ms
 *   "w<bucket>", "ws"       the same for waits
 *   "_m"                    the latest minute written
 *   "_a"                    batches in flight: "<member>:<lease deadline, base 36>,..." where the
 *                           member is the batch's claim time (base 36), which every task of the
 *                           batch carries in its lease token (F_STARTED) until it settles; an
 *                           extension raises the deadline. One invocation works one batch at a
 *                           time, so members whose lease has not run out are the invocations at
 *                           work (two batches claimed in the same millisecond count as one).
 * Redis 7.0 has no per-field expiry, so the first write of a new minute deletes the fields of
 * minutes that fell out of the kept hour (one HDEL a minute). Buckets: histogram.ts.
 * (A sorted set would track batches in flight by name, but a ZADD and a ZREM per batch cost more
 * than a field rewritten with the others.)
 */
import { luaPiece } from "../scripts/pieces/index";
import { LUA_FORMAT } from "../scripts/pieces/format";
import { BUCKETS, LATENCY_BOUNDS_MS } from "./histogram";

/** Minutes of per-minute fields kept before the current one. */
export const KEPT_MINUTES = 60;
export const MINUTE_LETTERS = ["e", "s", "f", "x", "c", "r"] as const;
/** [cmds, issue 11] The stats field of the enqueue ledger (LUA_STATS ledger): live part and pending enqueues. */
export const LEDGER_FIELD = "_el";
/** The ledger's live part is counted in units of this (pending stays below half of it: Lua's doubles hold the sum exactly). */
export const LEDGER_UNIT = 2 ** 21;
/**
 * Enqueue calls of more tasks than this skip the ledger: its HINCRBY saves a command only on a live
 * queue and costs one on an idle one, and a bulk call (a queue filled, then drained) mostly finds it
 * idle; either way it is a command a call, nothing a task at that size.
 */
export const LEDGER_MAX_TASKS = 32;

export const LUA_STATS = luaPiece(
  "stats",
  { keys: ["stats"], uses: [LUA_FORMAT] },
  String.raw`
local MINUTE = math.floor(NOW / 60000)
local MINUTE_AT = int(MINUTE) .. ":"
local BOUNDS = {${LATENCY_BOUNDS_MS.join(", ")}}
local COUNTER_LETTER = {enqueued = "e", succeeded = "s", failed = "f", dead = "x", canceled = "c", retried = "r"}
local statDelta, statOrder = {}, {}
local activeUntil, released, extended = {}, {}, {}
local function stat(field, n)
  local v = statDelta[field]
  if not v then statOrder[#statOrder + 1] = field; v = 0 end
  statDelta[field] = v + n
end
-- histograms are summed per script in tables (the per-task cost is a bucket search and two
-- additions) and become hash fields in flushStats: kind "d" (run time) or "w" (wait)
local hist = {d = {n = {}, s = 0}, w = {n = {}, s = 0}}
local function observe(kind, ms, n)
  if ms < 0 then ms = 0 end
  local b = ${BUCKETS}
  for i = 1, ${LATENCY_BOUNDS_MS.length} do if ms <= BOUNDS[i] then b = i; break end end
  local h = hist[kind]
  h.n[b] = (h.n[b] or 0) + n
  h.s = h.s + ms * n
end
-- Waits and run times are counted per time they start from (a batch's tasks share their claim time
-- and mostly their creation time) and become histogram entries in flushStats: per task, a table
-- increment instead of a conversion and a bucket search. since.w: wait starts, since.d: claim times
local since = {w = {}, d = {}}
-- A claim of a task (of n alike, default 1) whose attempts so far were att (a state field), run-at
-- runAt36, created at created36 (the head's first field). Its wait runs from its run-at time
-- (delayed tasks) or its creation to its first claim. The batch's member in "_a" is the claim time.
local CLAIM_MEMBER = b36(NOW)
local function observeClaim(att, runAt36, created36, untilMs, n)
  if att == "0" or att == "" then
    local from = runAt36 ~= "" and runAt36 or created36
    since.w[from] = (since.w[from] or 0) + (n or 1)
  end
  if (activeUntil[CLAIM_MEMBER] or 0) < untilMs then activeUntil[CLAIM_MEMBER] = untilMs end
end
-- n (default 1) settled attempts, by their claim time (base 36)
local function observeSettle(started36, n)
  since.d[started36] = (since.d[started36] or 0) + (n or 1)
end
local function observeExtend(started36, untilMs)
  if (extended[started36] or 0) < untilMs then extended[started36] = untilMs end
end

-- the active field: "member:until36,..." rewritten with the other fields; members whose lease ran
-- out ten minutes ago belonged to invocations that died without settling, and are dropped. That
-- takes a parse of every member, one per invocation at work, so it runs on the first write of a
-- minute (lastMinute: the "_m" read) and with lease extensions; the other calls edit only the
-- members they ended or began, in place (members are base 36: no pattern characters)
local function activeField(current, lastMinute)
  if tonumber(lastMinute) == MINUTE and not next(extended) then
    local s = (current or "") == "" and "," or "," .. current .. ","
    for member in pairs(released) do s = string.gsub(s, "," .. member .. ":[^,]*,", ",", 1) end
    for member, untilMs in pairs(activeUntil) do
      local at, _, until36 = string.find(s, "," .. member .. ":([^,]*),")
      if not at then s = s .. member .. ":" .. b36(untilMs) .. ","
      elseif (fromTime(until36) or 0) < untilMs then
        s = string.sub(s, 1, at) .. member .. ":" .. b36(untilMs) .. string.sub(s, at + #member + 2 + #until36)
      end
    end
    activeUntil, released = {}, {}
    return string.sub(s, 2, -2)
  end
  local entries, out = {}, {}
  for member, until36 in string.gmatch(current or "", "([^:,]+):([^,]+)") do
    if not released[member] then entries[member] = fromTime(until36) end
  end
  for member, untilMs in pairs(extended) do
    if entries[member] and entries[member] < untilMs then entries[member] = untilMs end
  end
  for member, untilMs in pairs(activeUntil) do
    if (entries[member] or 0) < untilMs then entries[member] = untilMs end
  end
  for member, untilMs in pairs(entries) do
    if untilMs > NOW - 600000 then out[#out + 1] = member .. ":" .. b36(untilMs) end
  end
  activeUntil, released, extended = {}, {}, {}
  return table.concat(out, ",")
end
-- every field of minutes from..to, and the enqueue counts of the minutes after them up to upTo, at
-- most a day of them (enqueues wrote theirs alone, by HINCRBY, before they rode on flushStats)
local function dropMinutes(from, to, upTo)
  local names = {}
  for mm = to + 1, math.min(upTo, to + 1440) do names[#names + 1] = int(mm) .. ":e" end
  for mm = from, to do
    local at = int(mm) .. ":"
    for _, letter in ipairs({${MINUTE_LETTERS.map((l) => `"${l}"`).join(", ")}}) do names[#names + 1] = at .. letter end
    names[#names + 1] = at .. "ds"; names[#names + 1] = at .. "ws"
    for b = 1, ${BUCKETS} do names[#names + 1] = at .. "d" .. b; names[#names + 1] = at .. "w" .. b end
  end
  chunked("HDEL", STATS, names, CHUNK)
end
-- fields read with the stats' own HMGET and rewritten from what was read: fn(value) returns the value
-- to write, or nil (flow control: the ready lists' empty mark, pieces/flow.ts laneSeen); the last
-- check set for a field wins (one table: a script's main function holds at most 200 locals)
local statChecks = {fns = {}, order = {}}
function statChecks.add(field, fn)
  if not statChecks.fns[field] then statChecks.order[#statChecks.order + 1] = field end
  statChecks.fns[field] = fn
end
-- [cmds, issue 11] The enqueue ledger, field "${LEDGER_FIELD}": liveUntilSeconds * ${LEDGER_UNIT} + pending, where
-- pending counts tasks an enqueue made ready (enqueued, "<minute>:e" and _rdy, each by that many)
-- that the counters do not hold yet, and liveUntilSeconds mirrors the live mark (pieces/live.ts). A
-- single-task enqueue into a live queue then costs one HINCRBY of it instead of the stats hash's
-- HMGET and HSET: its reply tells the enqueue that the mark stands (ledger.take). Every stats write
-- folds the pending count into the counters (the next claim, ~100 ms later on a live queue) and sets
-- the live part: a claim's ledger.liveUntil (ms; 0 clears), else kept, and 0 while flow control's
-- _re mark stands (an enqueue must then clear it: flushReady's check, which the fast path skips).
-- Readers of _rdy and enqueued add the pending part (scripts/stats.ts readTotals). Whoever clears the mark
-- from outside a script subtracts the live part first (runtime/epochs.ts endLive): a live part left
-- standing alone would silence pushes.
local ledger = {liveUntil = nil}
function ledger.split(value)
  local n = tonumber(value) or 0
  local pending = n % ${LEDGER_UNIT}
  return pending, (n - pending) / ${LEDGER_UNIT}
end
-- an enqueue whose counts are n tasks made ready (n <= ${LEDGER_MAX_TASKS}) and nothing else: the ledger takes them. Returns
-- the live mark's time (s, > NOW) when it stands: nothing more is written; false when it does not
-- (the counts are pending in the ledger: flushStats folds them, reading the stats as before); nil
-- when the counts are not for the ledger
function ledger.take(counters)
  local n = counters.enqueued
  if not n or n <= 0 or n > ${LEDGER_MAX_TASKS} or counters._rdy ~= n or #statOrder > 0 or next(since.w) or next(since.d) then return nil end
  for name in pairs(counters) do if name ~= "enqueued" and name ~= "_rdy" then return nil end end
  local pending, live = ledger.split(redis.call("HINCRBY", STATS, "${LEDGER_FIELD}", n))
  if live * 1000 > NOW and pending < ${LEDGER_UNIT / 2} then return live end
  return false
end
local function flushStats(counterDeltas)
  for kind, counts in pairs(since) do
    for from, n in pairs(counts) do
      local at = fromTime(from)
      if at then
        observe(kind, NOW - at, n)
        if kind == "d" then released[from] = true end
      end
    end
    since[kind] = {}
  end
  for kind, h in pairs(hist) do
    local any = false
    for b, n in pairs(h.n) do stat(MINUTE_AT .. kind .. b, n); stat(kind .. b, n); any = true end
    if any then stat(MINUTE_AT .. kind .. "s", h.s); stat(kind .. "s", h.s) end
    h.n, h.s = {}, 0
  end
  for name, n in pairs(counterDeltas) do
    local letter = COUNTER_LETTER[name]
    if letter and n ~= 0 then stat(MINUTE_AT .. letter, n) end
  end
  local activeChanged = next(activeUntil) or next(released) or next(extended)
  if #statOrder == 0 and not activeChanged and #statChecks.order == 0 and ledger.liveUntil == nil then return end
  -- the counters the ledger's pending part folds into, read with the others (no command of their own)
  for _, f in ipairs({"enqueued", MINUTE_AT .. "e", "_rdy"}) do stat(f, 0) end
  local fields = {}
  for i, f in ipairs(statOrder) do fields[i] = f end
  for _, f in ipairs(statChecks.order) do fields[#fields + 1] = f end
  local tail = #fields
  fields[tail + 1], fields[tail + 2], fields[tail + 3], fields[tail + 4] = "_m", "_a", "${LEDGER_FIELD}", "_re"
  local values = redis.call("HMGET", STATS, unpack(fields))
  local lastMinute, activeNow, ledgerNow, reMark = values[tail + 1], values[tail + 2], values[tail + 3], values[tail + 4]
  local pending, liveNow = ledger.split(ledgerNow)
  if pending > 0 then
    for _, f in ipairs({"enqueued", MINUTE_AT .. "e", "_rdy"}) do statDelta[f] = statDelta[f] + pending end
  end
  local args = {}
  for i, f in ipairs(statOrder) do
    if statDelta[f] ~= 0 then args[#args + 1] = f; args[#args + 1] = int((tonumber(values[i]) or 0) + statDelta[f]) end
  end
  for i, f in ipairs(statChecks.order) do
    local v = statChecks.fns[f](values[#statOrder + i])
    if v then args[#args + 1] = f; args[#args + 1] = v end
    if v and f == "_re" then reMark = v end
  end
  statChecks.fns, statChecks.order = {}, {}
  local live = ledger.liveUntil and math.floor(ledger.liveUntil / 1000) or liveNow
  if live < 0 or reMark == "1" then live = 0 end
  if pending > 0 or live ~= liveNow then args[#args + 1] = "${LEDGER_FIELD}"; args[#args + 1] = int(live * ${LEDGER_UNIT}) end
  ledger.liveUntil = nil
  if activeChanged then args[#args + 1] = "_a"; args[#args + 1] = activeField(activeNow, lastMinute) end
  local last = tonumber(lastMinute)
  if not last or last < MINUTE then
    args[#args + 1] = "_m"; args[#args + 1] = int(MINUTE)
    -- fields present are those of minutes last-60..last (and enqueue counts after); keep MINUTE-60..MINUTE
    if last and last < MINUTE - ${KEPT_MINUTES} then
      dropMinutes(last - ${KEPT_MINUTES}, math.min(last, MINUTE - ${KEPT_MINUTES + 1}), MINUTE - ${KEPT_MINUTES + 1})
    end
  end
  chunked("HSET", STATS, args, CHUNK)
  statDelta, statOrder = {}, {}
end
`,
);
