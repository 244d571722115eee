import { luaPiece } from "./index";
import { LUA_BUFFERS } from "./buffers";

/** State changes shared by several scripts: to dead, to a finished state, due delayed tasks to ready. */
export const LUA_TRANSITIONS = luaPiece(
  "transitions",
  { uses: [LUA_BUFFERS] },
  String.raw`
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
-- the due partitions of DPARTS (their earliest runAt passed), and those of them this call lacks
local function duePartitions(max)
  local labels = redis.call("ZRANGEBYSCORE", DPARTS, "-inf", NOW, "LIMIT", 0, max)
  local lacking = {}
  for _, label in ipairs(labels) do if not PART[label] then lacking[#lacking + 1] = label end end
  return labels, lacking
end
-- moves due delayed tasks to their partitions' prioritized sets, behind the ready lists for priority
-- 0 (flushed at once: a claim may follow). Their records stay "d" (a claim takes a due "d" as
-- queued): promotion reads no record. Only partitions the call holds are promoted (d:<label> to
-- p:<label>); returns how many, whether a bound was hit, and the due partitions it lacked
local function promoteDue(limit)
  local labels, lacking = duePartitions(8)
  local n, moved = 0, {}
  for _, label in ipairs(labels) do
    if PART[label] and n < limit then
      local key = PART[label][SLOT_DELAYED]
      local due = redis.call("ZRANGEBYSCORE", key, "-inf", NOW, "WITHSCORES", "LIMIT", 0, limit - n)
      local members = {}
      for i = 1, #due, 2 do
        members[#members + 1] = due[i]
        local id, priority = string.match(due[i], "^([^|]*)|?(.*)$")
        makeReady(id, priority, false)
      end
      if #members > 0 then
        chunked("ZREM", key, members, CHUNK)
        count("_dly", -#members)
        reindex(label, SLOT_DELAYED, DPARTS)
        moved[#moved + 1] = {label, due}
        n = n + #members
      end
    end
  end
  if n > 0 then
    local toPrio = {}
    for i = 2, #prioEntries, 2 do toPrio[#toPrio + 1] = prioEntries[i] end
    flushReady()
    onRefused(function()
      count("_prio", -segmentRemove(toPrio, SLOT_PRIO, PPARTS))
      for _, m in ipairs(moved) do
        local back = {}
        for i = 1, #m[2], 2 do back[#back + 1] = m[2][i + 1]; back[#back + 1] = m[2][i] end
        chunked("ZADD", PART[m[1]][SLOT_DELAYED], back, CHUNK)
        reindex(m[1], SLOT_DELAYED, DPARTS)
      end
      refreshDue()
    end)
  end
  refreshDue()
  return n, n == limit or #labels == 8 or #lacking > 0, lacking
end
`,
);
