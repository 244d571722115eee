import { LUA_JOB_EVENTS } from "../jobs/lua";
import { LUA_STATS } from "../stats/lua";

/**
 * Lua shared by every queue script (prepended to each). Conventions:
 *   KEYS: the keys of keys.ts QUEUE_KEY_NAMES, in that order (10: stats/lua.ts, 11: jobs/lua.ts).
 *   ARGV[1] = now (ms, from the caller's clock so tests can move time), ARGV[2] = effective defaults
 *   (settings.ts scriptDefaults); script-specific arguments follow.
 * Records are read once per script into `cache` (one HMGET for the batch) and written back by one
 * HSET/HDEL in flush(); ready/delayed/dead/sweep additions and counters are buffered the same way,
 * so a script issues a handful of commands whatever the batch size.
 */
export const LUA_LIB = String.raw`
local TASKS, REGISTRY, META, READY, PRIO, DELAYED, SWEEP, DEAD, DEDUP =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local NOW = tonumber(ARGV[1])
-- fields of a record's state segment: codec.ts StateField + 1
local F_ST, F_ATT, F_PRIO, F_TIMEOUT, F_MAXATT, F_RUNAT = 1, 2, 3, 4, 5, 6
local F_STARTED, F_LEASE, F_KEEP, F_FINISHED, F_EXPIRES = 7, 8, 9, 10, 11
local NF = 11
-- arguments per command: unpack() has a stack limit near 8000
local CHUNK = 1000
-- priority 0 lives in the READY list; PRIO scores below this are higher priorities
local PRIO_SPAN = 4398046511104
local ZERO_SCORE = 1000 * PRIO_SPAN

-- number formatting is memoized: a batch formats the same few values (now, its lease deadline,
-- its expiry) once per task, and the formatting loops cost more than the rest of a claim
local DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
local b36memo, intMemo = {}, {}
local function b36(n)
  n = math.floor(n)
  local s = b36memo[n]
  if s then return s end
  if n <= 0 then return "0" end
  local digits, m = {}, n
  while m > 0 do
    local d = m % 36
    table.insert(digits, 1, string.sub(DIGITS, d + 1, d + 1))
    m = math.floor(m / 36)
  end
  s = table.concat(digits)
  b36memo[n] = s
  return s
end
local function int(n)
  local s = intMemo[n]
  if not s then s = string.format("%.0f", n); intMemo[n] = s end
  return s
end

local function split(s, sep)
  local out, i = {}, 1
  for part in string.gmatch(s .. sep, "([^" .. sep .. "]*)" .. sep) do out[i] = part; i = i + 1 end
  return out
end

local function chunked(cmd, key, args, step)
  for i = 1, #args, step do redis.call(cmd, key, unpack(args, i, math.min(i + step - 1, #args))) end
end

-- settings: stored meta fields over the defaults in ARGV[2]; extra meta fields read in the same HMGET
local SETTINGS = {"maxAttempts", "leaseMs", "resultTtlMs", "dedupWindowMs", "backoffType", "backoffBaseMs", "backoffMaxMs", "backoffJitter"}
local DEFAULTS = split(ARGV[2], ",")
local function readMeta(extra)
  local fields = {}
  for i, f in ipairs(SETTINGS) do fields[i] = f end
  fields[#fields + 1] = "paused"
  for _, f in ipairs(extra) do fields[#fields + 1] = f end
  local values = redis.call("HMGET", META, unpack(fields))
  local m = {}
  for i, f in ipairs(fields) do
    local v = values[i]
    if not v then v = DEFAULTS[i] end
    if v then m[f] = v end
  end
  return m
end

-- records (codec.ts): state "\t" head "\n" input ["\n" result ["\n" errors]]
-- Only the short state segment changes on claim and settle: it is parsed (one string.match with
-- NF captures; the padding supplies the trailing empty fields format() drops) and the rest, the
-- body, is carried over as one string.
local STATE_PATTERN, STATE_PAD = "^" .. string.rep("([^|]*)|", NF), string.rep("|", NF)
local function parse(rec)
  local tab = string.find(rec, "\t", 1, true)
  return {string.match(string.sub(rec, 1, tab - 1) .. STATE_PAD, STATE_PATTERN)}, string.sub(rec, tab + 1)
end
local function format(h, body)
  local last = NF
  while last > 1 and h[last] == "" do last = last - 1 end
  return table.concat(h, "|", 1, last) .. "\t" .. body
end
-- body = front ["\n" result ["\n" errors]], front = head "\n" input; a body with neither result
-- nor errors (the common case) is returned as is
local function sections(body)
  local a = string.find(body, "\n", 1, true)
  local b = string.find(body, "\n", a + 1, true)
  if not b then return body, "", "" end
  local c = string.find(body, "\n", b + 1, true)
  if not c then return string.sub(body, 1, b - 1), string.sub(body, b + 1), "" end
  return string.sub(body, 1, b - 1), string.sub(body, b + 1, c - 1), string.sub(body, c + 1)
end
local function joinBody(front, result, errors)
  if errors ~= "" then return front .. "\n" .. result .. "\n" .. errors end
  if result ~= "" then return front .. "\n" .. result end
  return front
end
-- head = createdAt|fn|queue|jobId|dedupKey
local function queueOf(body) return string.match(body, "^[^|\n]*|[^|\n]*|([^|\n]*)") end
local function appendError(errors, errJson)
  if errors == "" then return "[" .. errJson .. "]" end
  return string.sub(errors, 1, -2) .. "," .. errJson .. "]"
end
-- fencing token: attempt and claim time. Every claim bumps the attempt, so a token never outlives
-- its claim; an extension keeps it, so a lost extension reply cannot orphan the worker's result.
local function tokenOf(h) return h[F_ATT] .. "." .. h[F_STARTED] end
-- a task's lease is never shorter than its own timeout
local function leaseUntil(h, leaseMs)
  local timeout = tonumber(h[F_TIMEOUT])
  return NOW + ((timeout and timeout > leaseMs) and timeout or leaseMs)
end

-- record cache: cache[id] = record string, false when absent or deleted
local cache, touched, touchedSet = {}, {}, {}
local function load(ids)
  local need, seen = {}, {}
  for _, id in ipairs(ids) do
    if cache[id] == nil and not seen[id] then seen[id] = true; need[#need + 1] = id end
  end
  for i = 1, #need, CHUNK do
    local j = math.min(i + CHUNK - 1, #need)
    local values = redis.call("HMGET", TASKS, unpack(need, i, j))
    for k = i, j do cache[need[k]] = values[k - i + 1] end
  end
end
local function put(id, rec)
  cache[id] = rec
  if not touchedSet[id] then touchedSet[id] = true; touched[#touched + 1] = id end
end

-- the record of a running task whose lease token matches, or nil and the error code
local function running(id, token)
  local rec = cache[id]
  if not rec then return nil, nil, -1 end
  local h, body = parse(rec)
  if h[F_ST] ~= "r" then return nil, nil, -3 end
  if tokenOf(h) ~= token then return nil, nil, -2 end
  return h, body, 1
end

${LUA_STATS}
${LUA_JOB_EVENTS}
-- buffered additions
local readyIds, prioEntries, delayedEntries, deadEntries, counters, sweepGroups, sweepOrder = {}, {}, {}, {}, {}, {}, {}
local function count(name, n) counters[name] = (counters[name] or 0) + n end
local function makeReady(id, priority)
  local p = tonumber(priority) or 0
  if p == 0 then readyIds[#readyIds + 1] = id
  else prioEntries[#prioEntries + 1] = p; prioEntries[#prioEntries + 1] = id end
end
local function makeDelayed(id, runAt)
  delayedEntries[#delayedEntries + 1] = int(runAt); delayedEntries[#delayedEntries + 1] = id
end
-- sweep entries: kind L (lease check), G (record expiry); one member per kind and due time
-- G entries are rounded up to the next second so a batch finishing over several ms shares one entry
local function sweepAdd(kind, due, id)
  if kind == "G" then due = math.ceil(due / 1000) * 1000 end
  local group = kind .. int(due)
  local ids = sweepGroups[group]
  if not ids then ids = {}; sweepGroups[group] = ids; sweepOrder[#sweepOrder + 1] = group end
  ids[#ids + 1] = id
end

-- dueRead: refreshDue ran, and nextDue is the earliest delayed task's due time (nil: none left);
-- a script can hand it back so that its caller asks for a wake-up push at that second
local dueRead, nextDue = false, nil
local function refreshDue()
  local first = redis.call("ZRANGE", DELAYED, 0, 0, "WITHSCORES")
  dueRead, nextDue = true, first[2]
  if first[2] then redis.call("HSET", META, "_due", first[2]) else redis.call("HDEL", META, "_due") end
end
local function flushReady()
  if #readyIds > 0 then chunked("RPUSH", READY, readyIds, CHUNK); readyIds = {} end
  local n = #prioEntries / 2
  if n > 0 then
    local last = redis.call("HINCRBY", META, "_seq", n)
    local args = {}
    for i = 1, n do
      args[2 * i - 1] = int((1000 - prioEntries[2 * i - 1]) * PRIO_SPAN + last - n + i)
      args[2 * i] = prioEntries[2 * i]
    end
    chunked("ZADD", PRIO, args, CHUNK)
    redis.call("HSET", META, "_pz", "1")
    prioEntries = {}
  end
end
local function flush()
  local sets, dels = {}, {}
  for _, id in ipairs(touched) do
    local rec = cache[id]
    if rec then sets[#sets + 1] = id; sets[#sets + 1] = rec else dels[#dels + 1] = id end
  end
  chunked("HSET", TASKS, sets, CHUNK)
  chunked("HDEL", TASKS, dels, CHUNK)
  touched, touchedSet = {}, {}
  flushReady()
  if #delayedEntries > 0 then chunked("ZADD", DELAYED, delayedEntries, CHUNK); delayedEntries = {}; refreshDue() end
  if #deadEntries > 0 then chunked("ZADD", DEAD, deadEntries, CHUNK); deadEntries = {} end
  if #sweepOrder > 0 then
    local args = {}
    for _, group in ipairs(sweepOrder) do
      args[#args + 1] = string.sub(group, 2)
      args[#args + 1] = string.sub(group, 1, 1) .. table.concat(sweepGroups[group], ",")
    end
    chunked("ZADD", SWEEP, args, CHUNK)
    sweepGroups, sweepOrder = {}, {}
  end
  -- totals (and _tomb) ride on the stats hash's one read-modify-write instead of a HINCRBY each
  for name, n in pairs(counters) do
    if n ~= 0 then stat(name, n) end
  end
  flushStats(counters)
  flushJobEvents()
  counters = {}
end

-- state changes shared by several scripts
local function toDead(id, h, front, result, errors)
  h[F_ST] = "x"; h[F_FINISHED] = b36(NOW); h[F_LEASE] = ""
  put(id, format(h, joinBody(front, result, errors)))
  deadEntries[#deadEntries + 1] = int(NOW); deadEntries[#deadEntries + 1] = id
  count("dead", 1)
  jobEvent(id, front, 1)
end
local function finish(id, h, state, body, keepMs)
  h[F_ST] = state; h[F_FINISHED] = b36(NOW); h[F_LEASE] = ""
  local expires = NOW + keepMs
  h[F_EXPIRES] = b36(expires)
  put(id, format(h, body))
  return expires
end
-- moves due delayed tasks to the ready structures (flushed at once: a claim may follow)
local function promoteDue(limit)
  local ids = redis.call("ZRANGEBYSCORE", DELAYED, "-inf", NOW, "LIMIT", 0, limit)
  local n = 0
  if #ids > 0 then
    load(ids)
    for _, id in ipairs(ids) do
      local rec = cache[id]
      if rec then
        local h, body = parse(rec)
        if h[F_ST] == "d" then h[F_ST] = "q"; put(id, format(h, body)); makeReady(id, h[F_PRIO]); n = n + 1 end
      end
    end
    chunked("ZREM", DELAYED, ids, CHUNK)
    flushReady()
  end
  refreshDue()
  return n, #ids == limit
end
`;
