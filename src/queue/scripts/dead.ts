import { LUA_SETTINGS } from "./pieces/settings";
import { LUA_BUFFERS } from "./pieces/buffers";
import { LUA_FLOW } from "./pieces/flow";
import { LUA_PART_INDEX } from "./pieces/part-index";
import { defineQueueScript } from "./queue-script";

/** dead: retries (requeues with fresh attempts) or purges dead tasks of one queue. */
export const deadScript = defineQueueScript({
  name: "dead",
  summary: "retries (requeues with fresh attempts) or purges dead tasks of one queue",
  uses: [LUA_SETTINGS, LUA_BUFFERS, LUA_FLOW, LUA_PART_INDEX],
  partitioned: true,
  contract: String.raw`
ARGV[1] now ms   ARGV[2] defaults   ARGV[3] queue name   ARGV[4] "retry" | "purge"
ARGV[5] limit (used when no ids are given: the oldest dead tasks)   ARGV[6..] local task ids (optional)
Returns { handled, more (1 when the dead set may hold more) }. Ids that are not dead tasks of this
queue are skipped. Errors: -6 BadScriptArguments. {"_need", labels}: nothing written; run again with
those partitions too (the oldest dead tasks').
`,
  body: String.raw`
local queue, mode, limit = ARGV[3], ARGV[4], tonumber(ARGV[5])
if (mode ~= "retry" and mode ~= "purge") or not limit then return -6 end
local ids = {}
for i = 6, #ARGV do ids[#ids + 1] = ARGV[i] end
local fromSet = #ids == 0
local more, staleGroups, staleEntries = false, {}, {}
if fromSet then
  -- the dead sets of the partitions that died longest ago (XPARTS is scored by each one's latest
  -- death; folded groups expanded: pieces/part-index.ts)
  local entries, cut, lacking
  entries, cut, lacking, staleGroups = ix.range(XPARTS, SLOT_DEAD, 8, false)
  local need = {}
  for _, group in ipairs(lacking) do need[#need + 1] = group end
  for _, e in ipairs(entries) do if not PART[e[1]] then need[#need + 1] = e[1] end end
  if #need > 0 then return {NEED, need} end
  more = #entries == 8 or cut ~= nil
  for _, e in ipairs(entries) do
    if #ids >= limit then more = true; break end
    local got = redis.call("ZRANGE", PART[e[1]][SLOT_DEAD], 0, limit - #ids - 1)
    -- an entry of an emptied set (stale after a fold) leaves its index
    if #got == 0 then staleEntries[#staleEntries + 1] = e end
    for _, id in ipairs(got) do ids[#ids + 1] = id end
  end
  if #ids >= limit then more = true end
end
local need = undeclared(ids)
if #need > 0 then return {NEED, need} end
load(ids)
local handled, removed = 0, {}
for _, id in ipairs(ids) do
  local rec = cache[id]
  local h, body
  if rec then h, body = parse(rec) end
  if h and h[F_ST] == "x" and queueOf(body) == queue then
    removed[#removed + 1] = id
    handled = handled + 1
    if mode == "retry" then
      -- runAt = now: the retried task waits from here (its wait statistic, stats/lua.ts)
      h[F_ST] = "q"; h[F_ATT] = "0"; h[F_RUNAT] = b36(NOW); h[F_STARTED] = ""; h[F_FINISHED] = ""; h[F_KEEP] = ""
      put(id, format(h, body))
      makeReady(id, h[F_PRIO])
      count("retried", 1)
      jobEvent(id, body, -1)
    else
      put(id, false)
    end
  elseif fromSet then
    removed[#removed + 1] = id
  end
end
-- after the records' write, which a full tasks hash refuses (pieces/buffers.ts): the set stays whole then
flush()
if #removed > 0 then stat("_xd", -segmentRemove(removed, SLOT_DEAD, XPARTS)); flushStats({}) end
ix.heal(XPARTS, staleGroups)
for _, e in ipairs(staleEntries) do redis.call("ZREM", e[3], e[1]) end
return {handled, more and 1 or 0}
`,
});
