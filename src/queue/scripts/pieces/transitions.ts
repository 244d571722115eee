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
-- moves due delayed tasks to the ready structures (flushed at once: a claim may follow)
local function promoteDue(limit)
  local due = redis.call("ZRANGEBYSCORE", DELAYED, "-inf", NOW, "WITHSCORES", "LIMIT", 0, limit)
  local ids = {}
  for i = 1, #due, 2 do ids[#ids + 1] = due[i] end
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
    -- promoted first thing in a script, so the ready buffers hold these tasks only
    local toReady, toPrio = #readyIds, {}
    for i = 2, #prioEntries, 2 do toPrio[#toPrio + 1] = prioEntries[i] end
    flushReady()
    onRefused(function()
      if toReady > 0 then redis.call("RPOP", READY, toReady) end
      chunked("ZREM", PRIO, toPrio, CHUNK)
      local back = {}
      for i = 1, #due, 2 do back[#back + 1] = due[i + 1]; back[#back + 1] = due[i] end
      chunked("ZADD", DELAYED, back, CHUNK)
      refreshDue()
    end)
  end
  refreshDue()
  return n, #ids == limit
end
`,
);
