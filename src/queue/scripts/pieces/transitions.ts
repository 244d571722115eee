import { luaPiece } from "./index";
import { LUA_BUFFERS } from "./buffers";
import { LUA_PART_INDEX } from "./part-index";

/** State changes shared by several scripts: to dead, to a finished state, due delayed tasks to ready. */
export const LUA_TRANSITIONS = luaPiece(
  "transitions",
  { uses: [LUA_BUFFERS, LUA_PART_INDEX] },
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
-- the due partitions of DPARTS (their earliest runAt passed; groups expanded: pieces/part-index.ts)
-- as {label, bound, from}, the labels and groups of them this call lacks, and the groups read
local function duePartitions(max)
  return ix.due(DPARTS, SLOT_DELAYED, max)
end
-- moves due delayed tasks to their partitions' prioritized sets, behind the ready lists for priority
-- 0 (flushed at once: a claim may follow). Their records stay "d" (a claim takes a due "d" as
-- queued): promotion reads no record. Only partitions the call holds are promoted (d:<label> to
-- p:<label>); returns how many, whether a bound was hit, the due partitions it lacked, and with
-- direct (a claim when no prioritized task waits) the promoted tasks without a flow key as {id,
-- priority}, which it does not write to the prioritized sets: the claim takes them at once (and
-- makes ready what it leaves), saving the sets' writes and reads; last, whether any went to them
local function promoteDue(limit, direct)
  local labels, lacking, groups = duePartitions(8)
  local n, moved, taken = 0, {}, {}
  direct = direct and #prioEntries == 0
  for _, entry in ipairs(labels) do
    local label, from = entry[1], entry[3]
    if PART[label] and n < limit then
      local key = PART[label][SLOT_DELAYED]
      -- one more than may be taken: the first not due is the partition's next head (no read after)
      local head = redis.call("ZRANGE", key, 0, limit - n, "WITHSCORES")
      local due, members = {}, {}
      for i = 1, #head, 2 do
        if #members >= limit - n or tonumber(head[i + 1]) > NOW then break end
        due[#due + 1] = head[i]; due[#due + 1] = head[i + 1]
        members[#members + 1] = head[i]
        local id, priority = string.match(head[i], "^([^|]*)|?(.*)$")
        if direct and not string.find(priority, "|", 1, true) then taken[#taken + 1] = {id, priority}
        else makeReady(id, priority, false) end
      end
      if #members > 0 then
        chunked("ZREM", key, members, CHUNK)
        count("_dly", -#members)
        local next = head[2 * #members + 2]
        if next then redis.call("ZADD", from, next, label) else redis.call("ZREM", from, label) end
        moved[#moved + 1] = {label, due}
        n = n + #members
      -- an entry whose bound was below its set's head (part-index.ts): moved to the head, or out
      elseif head[2] then redis.call("ZADD", from, head[2], label)
      else redis.call("ZREM", from, label) end
    end
  end
  -- a folded group's bound follows its head, so that the next due time is not a handled one
  for _, group in ipairs(groups) do ix.rehead(DPARTS, SLOT_DELAYED, group) end
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
  return n, n == limit or #labels == 8 or #lacking > 0, lacking, taken, n > #taken
end
`,
);
