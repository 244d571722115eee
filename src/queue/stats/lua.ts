/**
 * Lua for the statistics, spliced into LUA_LIB (scripts/lib.ts) so that every state-changing script
 * updates them in the call it already makes: no extra round trip, and a few commands per batch
 * whatever its size (one HMGET and one HSET on the stats hash, a ZADD/ZREM on the active set).
 *
 * KEYS[10] stats hash, one per queue. Fields:
 *   "<minute>:<letter>"     tasks per minute: e enqueued, s succeeded, f failed attempts, x dead,
 *                           c canceled, r retried from dead (minute = floor(ms / 60000))
 *   "<minute>:d<bucket>"    run-time histogram of that minute (claim to settle of an attempt)
 *   "<minute>:w<bucket>"    wait histogram of that minute (ready to first claim)
 *   "d<bucket>", "ds"       run-time histogram since the queue began, and its sum in ms
 *   "w<bucket>", "ws"       the same for waits
 *   "_m"                    the latest minute written
 * Redis 7.0 has no per-field expiry, so the first write of a new minute deletes the fields of
 * minutes that fell out of the kept hour (one HDEL a minute). Buckets: histogram.ts.
 * KEYS[11] active zset: one member per claimed batch (its first task id), score = its lease
 * deadline; removed when the batch settles. One invocation works one batch at a time, so the
 * members whose lease has not run out are the invocations at work.
 */
import { BUCKETS, LATENCY_BOUNDS_MS } from "./histogram";

/** Minutes of per-minute fields kept before the current one. */
export const KEPT_MINUTES = 60;
export const MINUTE_LETTERS = ["e", "s", "f", "x", "c", "r"] as const;

export const LUA_STATS = String.raw`
local STATS, ACTIVE = KEYS[10], KEYS[11]
local MINUTE = math.floor(NOW / 60000)
local MINUTE_AT = int(MINUTE) .. ":"
local BOUNDS = {${LATENCY_BOUNDS_MS.join(", ")}}
local COUNTER_LETTER = {succeeded = "s", failed = "f", dead = "x", canceled = "c", retried = "r"}
local statDelta, statOrder = {}, {}
local activeId, activeUntil, released = nil, 0, nil
local function stat(field, n)
  local v = statDelta[field]
  if not v then statOrder[#statOrder + 1] = field; v = 0 end
  statDelta[field] = v + n
end
-- kind "d" (run time) or "w" (wait), a duration in ms
local function observe(kind, ms)
  if ms < 0 then ms = 0 end
  local b = ${BUCKETS}
  for i = 1, ${LATENCY_BOUNDS_MS.length} do if ms <= BOUNDS[i] then b = i; break end end
  stat(MINUTE_AT .. kind .. b, 1)
  stat(kind .. b, 1)
  stat(kind .. "s", ms)
end
-- a claimed task (h: its state after the claim; readySince: ms it could first run) and a settled one
local function observeClaim(id, h, readySince, untilMs)
  if h[F_ATT] == "1" and readySince then observe("w", NOW - readySince) end
  if not activeId then activeId = id end
  if untilMs > activeUntil then activeUntil = untilMs end
end
local function observeSettle(h)
  local started = tonumber(h[F_STARTED], 36)
  if started then observe("d", NOW - started) end
end
local function releaseActive(ids) if #ids > 0 then released = ids end end

local function dropMinutes(from, to)
  local names = {}
  for mm = from, to do
    local at = int(mm) .. ":"
    for _, letter in ipairs({${MINUTE_LETTERS.map((l) => `"${l}"`).join(", ")}}) do names[#names + 1] = at .. letter end
    for b = 1, ${BUCKETS} do names[#names + 1] = at .. "d" .. b; names[#names + 1] = at .. "w" .. b end
  end
  chunked("HDEL", STATS, names, CHUNK)
end
local function flushStats(counterDeltas)
  if released then chunked("ZREM", ACTIVE, released, CHUNK); released = nil end
  if activeId then redis.call("ZADD", ACTIVE, int(activeUntil), activeId); activeId, activeUntil = nil, 0 end
  for name, n in pairs(counterDeltas) do
    local letter = COUNTER_LETTER[name]
    if letter and n ~= 0 then stat(MINUTE_AT .. letter, n) end
  end
  if #statOrder == 0 then return end
  local fields = {}
  for i, f in ipairs(statOrder) do fields[i] = f end
  fields[#fields + 1] = "_m"
  local values = redis.call("HMGET", STATS, unpack(fields))
  local args = {}
  for i, f in ipairs(statOrder) do
    args[#args + 1] = f; args[#args + 1] = int((tonumber(values[i]) or 0) + statDelta[f])
  end
  local last = tonumber(values[#fields])
  if not last or last < MINUTE then
    args[#args + 1] = "_m"; args[#args + 1] = int(MINUTE)
    if last then
      local from = math.max(last - ${KEPT_MINUTES}, MINUTE - 2 * ${KEPT_MINUTES})
      if from <= MINUTE - ${KEPT_MINUTES + 1} then dropMinutes(from, math.min(last, MINUTE - ${KEPT_MINUTES + 1})) end
      -- batches whose lease ran out long ago: their invocation died without settling
      redis.call("ZREMRANGEBYSCORE", ACTIVE, "-inf", NOW - 600000)
    end
  end
  chunked("HSET", STATS, args, CHUNK)
  statDelta, statOrder = {}, {}
end
`;
