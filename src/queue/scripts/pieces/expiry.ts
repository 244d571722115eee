import { luaPiece } from "./index";
import { LUA_PARTITIONS } from "./partitions";
import { LUA_RECORD } from "./record";

/** Ids a record-expiry list holds at most: a due list names at most this many partitions (6 keys each) for upkeep to declare. */
export const EXPIRY_LIST_IDS = 512;
/** Due buckets of a queue's record expiry: 1/EXPIRY_BUCKETS of its result TTL, at least EXPIRY_MIN_STEP_MS. */
export const EXPIRY_BUCKETS = 1024;
export const EXPIRY_MIN_STEP_MS = 10_000;
/** Buckets the meta field `_gk` remembers (newest first): those written to by calls close in time. */
const EXPIRY_POINTERS = 8;

/**
 * Record-expiry (G) sweep entries, bounded by time and not by calls: a finished record is listed in
 * its due bucket (its expiry rounded up to 1/1024 of the result TTL, at least 10 s; reads check the
 * expiry, so a record deleted that late is never seen), in the list of the bucket's current chunk. A
 * chunk holds EXPIRY_LIST_IDS ids in field "~G<due>" of the partition of the time due + 32 ms × chunk
 * (ids.ts partitionOf of a ULID of that time: a hash that holds nothing else until then), and is one
 * member "G<label>\n<due>" of the sweep set. Meta field `_gk` ("due:chunk:ids,...") says where each
 * bucket being written stands, so that calls from any number of isolates fill the same chunks: the
 * sweep set holds about EXPIRY_BUCKETS members plus one per EXPIRY_LIST_IDS finished tasks kept.
 * A script that adds G entries starts with expiry.start(readMeta({"_gk"})) and declares the chunks'
 * partitions before writing (expiry.need, the _need protocol); a chunk it was not given (another call
 * moved the bucket on between its tries) goes to its ids' own partitions.
 */
export const LUA_EXPIRY = luaPiece(
  "expiry",
  { keys: ["meta"], uses: [LUA_PARTITIONS, LUA_RECORD] },
  String.raw`
local expiry = {step = ${EXPIRY_MIN_STEP_MS}, at = {}, ids = {}, order = {}}
-- the queue's bucket step and the meta pointer, from readMeta({"_gk"})
function expiry.start(m)
  expiry.step = math.max(${EXPIRY_MIN_STEP_MS}, math.floor((tonumber(m.resultTtlMs) or 0) / ${EXPIRY_BUCKETS * 1000}) * 1000)
  for due, chunk, n in string.gmatch(m._gk or "", "(%d+):(%d+):(%d+)") do expiry.at[due] = {tonumber(chunk), tonumber(n)} end
end
function expiry.due(expires) return int(math.ceil(expires / expiry.step) * expiry.step) end
-- the partition label of a ULID minted at time t (ids.ts partitionOf): t / 32 ms in 9 base-32 digits
function expiry.label(t)
  local n, s = math.floor(t / 32), ""
  for _ = 1, 9 do
    local d = n % 32
    s = string.sub("0123456789ABCDEFGHJKMNPQRSTVWXYZ", d + 1, d + 1) .. s
    n = math.floor(n / 32)
  end
  return s
end
-- the chunks count more ids of bucket due go to ({label, ids}, ...), and where the bucket then stands
function expiry.plan(due, count)
  local at = expiry.at[due] or {0, 0}
  local chunk, n, out = at[1], at[2], {}
  while count > 0 do
    if n >= ${EXPIRY_LIST_IDS} then chunk = chunk + 1; n = 0 end
    local take = math.min(${EXPIRY_LIST_IDS} - n, count)
    out[#out + 1] = {expiry.label(tonumber(due) + 32 * chunk), take}
    n = n + take
    count = count - take
  end
  return out, chunk, n
end
-- the partitions counts[due] more ids would be written to
function expiry.need(counts, needs)
  for due, count in pairs(counts) do
    for _, c in ipairs((expiry.plan(due, count))) do needs(c[1]) end
  end
end
function expiry.add(expires, id)
  local due = expiry.due(expires)
  local ids = expiry.ids[due]
  if not ids then ids = {}; expiry.ids[due] = ids; expiry.order[#expiry.order + 1] = due end
  ids[#ids + 1] = id
end
-- the lists as sweep fields (add(label, field, ids, due): pieces/buffers.ts sweepFields), and the
-- pointer written back: the buckets still to come, newest first
function expiry.write(add)
  if #expiry.order == 0 then return end
  for _, due in ipairs(expiry.order) do
    local ids, from = expiry.ids[due], 1
    local chunks, chunk, n = expiry.plan(due, #ids)
    for _, c in ipairs(chunks) do
      local part = {unpack(ids, from, from + c[2] - 1)}
      from = from + c[2]
      if PART[c[1]] then add(c[1], "~G" .. due, part, due)
      else
        local byPart, labels = groupBy(part, partOf)
        for _, label in ipairs(labels) do add(label, "~G" .. due, byPart[label], due) end
      end
    end
    expiry.at[due] = {chunk, n}
  end
  local dues = {}
  for due in pairs(expiry.at) do if tonumber(due) > NOW then dues[#dues + 1] = due end end
  table.sort(dues, function(a, b) return tonumber(a) > tonumber(b) end)
  local kept = {}
  for i = 1, math.min(#dues, ${EXPIRY_POINTERS}) do kept[i] = dues[i] .. ":" .. expiry.at[dues[i]][1] .. ":" .. expiry.at[dues[i]][2] end
  redis.call("HSET", META, "_gk", table.concat(kept, ","))
  expiry.ids, expiry.order = {}, {}
end
`,
);
