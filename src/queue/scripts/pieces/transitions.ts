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
-- moves due delayed tasks to PRIO, behind the ready lists for priority 0 (flushed at once: a claim
-- may follow). Their records stay "d" (a claim takes a due "d" as queued): promotion reads no record,
-- so it needs no partition
local function promoteDue(limit)
  local due = redis.call("ZRANGEBYSCORE", DELAYED, "-inf", NOW, "WITHSCORES", "LIMIT", 0, limit)
  local members = {}
  for i = 1, #due, 2 do
    local member = due[i]
    members[#members + 1] = member
    local id, priority = string.match(member, "^([^|]*)|?(.*)$")
    makeReady(id, priority, false)
  end
  if #members > 0 then
    chunked("ZREM", DELAYED, members, CHUNK)
    local toPrio = {}
    for i = 2, #prioEntries, 2 do toPrio[#toPrio + 1] = prioEntries[i] end
    flushReady()
    onRefused(function()
      chunked("ZREM", PRIO, toPrio, CHUNK)
      local back = {}
      for i = 1, #due, 2 do back[#back + 1] = due[i + 1]; back[#back + 1] = due[i] end
      chunked("ZADD", DELAYED, back, CHUNK)
      refreshDue()
    end)
  end
  refreshDue()
  return #members, #members == limit
end
`,
);
