import { luaPiece } from "./index";
import { LUA_RECORD } from "./record";
import { LUA_PARTITIONS } from "./partitions";

/**
 * The record cache: records are read once per script (one HMGET per partition of the batch) into
 * `cache` and written back by flush() (buffers.ts) with one HSET and one HDEL per partition.
 */
export const LUA_CACHE = luaPiece(
  "cache",
  { uses: [LUA_RECORD, LUA_PARTITIONS] },
  String.raw`
-- cache[id] = record string, false when absent or deleted; loaded[id] = what the script read
local cache, loaded, touched, touchedSet = {}, {}, {}, {}
-- other fields of a partition's hash read with its records: prefetched[key] = names to read,
-- fieldValue[key .. "\n" .. name] = the value read (false: absent)
local prefetched, fieldValue = {}, {}
local function prefetch(key, name)
  prefetched[key] = prefetched[key] or {}
  table.insert(prefetched[key], name)
end
local function load(ids)
  local byKey, keyOrder = {}, {}
  for _, id in ipairs(ids) do
    if cache[id] == nil then
      cache[id] = false -- asked for once (its value is read below)
      local p = PART[partMemo[id] or partOf(id)]
      local key = p and p[1] or recordsOf(id)
      local list = byKey[key]
      if not list then list = {}; byKey[key] = list; keyOrder[#keyOrder + 1] = key end
      list[#list + 1] = id
    end
  end
  for _, key in ipairs(keyOrder) do
    local need = byKey[key]
    -- fields asked for ahead (prefetch) ride on the partition's first HMGET
    local extra = prefetched[key] or {}
    prefetched[key] = nil
    for i = 1, #need, CHUNK do
      local j = math.min(i + CHUNK - 1, #need)
      local names = {unpack(need, i, j)}
      for _, name in ipairs(extra) do names[#names + 1] = name end
      local values = redis.call("HMGET", key, unpack(names))
      for k = i, j do cache[need[k]] = values[k - i + 1]; loaded[need[k]] = values[k - i + 1] end
      for k, name in ipairs(extra) do fieldValue[key .. "\n" .. name] = values[j - i + 1 + k] or false end
      extra = {}
    end
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
`,
);
