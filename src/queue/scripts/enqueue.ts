import { LUA_SETTINGS } from "./pieces/settings";
import { LUA_BUFFERS } from "./pieces/buffers";
import { defineQueueScript } from "./queue-script";

export const enqueueScript = defineQueueScript({
  name: "enqueue",
  summary: "creates a batch of tasks (records packed by the caller: records.ts packEnqueue)",
  keys: ["dedup", "pushEpoch"],
  uses: [LUA_SETTINGS, LUA_BUFFERS],
  partitioned: true,
  contract: String.raw`
ARGV[1] now ms   ARGV[2] defaults   ARGV[3] queue name   ARGV[4] N tasks
ARGV[5] "1": also read what the push to a worker needs (saves the push a request of its own), else "0"
then N quintuples: local id, "1" when the caller chose the id (check for an existing task), dedupKey
  ("" none), route ("" ready at priority 0 | "p<priority>" ready | "d<runAt ms>[|<priority>]" delayed), record
Returns { results, pushInfo }: results is id, state letter, "1" when duplicate else "0", per task;
pushInfo is {} or, when asked, { paused (nil|"0"|"1"), maxParallel (nil: the default), push epoch (nil: 0) }.
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

-- dedup: "<until36>|<id>" per key; entries past their window are ignored and later swept
local window, firstOf = 0, {}
if #keys > 0 then
  window = tonumber(readMeta({}).dedupWindowMs) or 0
  if window > 0 then
    for i = 1, #keys, CHUNK do
      local j = math.min(i + CHUNK - 1, #keys)
      local values = redis.call("HMGET", DEDUP, unpack(keys, i, j))
      for k = i, j do
        local v = values[k - i + 1]
        if v then
          local until36, id = string.match(v, "^([^|]*)|(.*)$")
          if fromTime(until36) > NOW then firstOf[keys[k]] = id; check[#check + 1] = id end
        end
      end
    end
  end
end
-- a dedup hit may name a task of a partition the caller could not know of
local need = undeclared(check)
if #need > 0 then return {NEED, need} end
load(check)

local out, created, dedupArgs, dedupKeys = {}, 0, {}, {}
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
    local kind = string.sub(route, 1, 1)
    if kind == "d" then
      local runAt, priority = string.match(route, "^d([^|]*)|?(.*)$")
      makeDelayed(id, tonumber(runAt), priority)
    else makeReady(id, string.sub(route, 2)) end
    if key ~= "" and window > 0 then
      firstOf[key] = id
      dedupArgs[#dedupArgs + 1] = key; dedupArgs[#dedupArgs + 1] = until36 .. "|" .. id
      dedupKeys[#dedupKeys + 1] = key
    end
    created = created + 1
    out[#out + 1] = id; out[#out + 1] = string.sub(rec, 1, 1); out[#out + 1] = "0"
  end
end

if #dedupArgs > 0 then
  chunked("HSET", DEDUP, dedupArgs, CHUNK)
  redis.call("ZADD", SWEEP, int(NOW + window), "K" .. cjson.encode(dedupKeys))
end
if created > 0 then count("enqueued", created) end
flush()
local pushInfo = {}
if ARGV[5] == "1" then
  local settings = redis.call("HMGET", META, "paused", "maxParallel")
  pushInfo = {settings[1], settings[2], redis.call("GET", PUSH_EPOCH)}
end
return {out, pushInfo}
`,
});
