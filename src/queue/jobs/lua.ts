import { luaPiece } from "../scripts/pieces/index";
import { LUA_RECORD } from "../scripts/pieces/record";

/**
 * Lua for map-reduce jobs, a piece of every state-changing script (scripts/pieces/buffers.ts): every
 * state change of a job's task reaches the job through its queue's OUTBOX, in the same script.
 *
 * The outbox hash, one per queue: task id → "<jobId>\n<failed delta>[\n<result JSON>]".
 *   A success adds the result (only a valid lease token gets to settle, so a stale worker's
 *   result never enters); a death or a cancel adds +1 to the delta, a retry out of the dead set
 *   -1 (the two cancel out while the entry waits). Keyed by task id, an entry can never be there
 *   twice; the fold (jobs/fold.ts) removes it in the same script that adds it to the job.
 * The task's record keeps no result: the job's accumulator holds it, folded, and a job of 100,000
 * tasks does not keep 100,000 results for the queue's resultTtl.
 */
export const LUA_JOB_EVENTS = luaPiece(
  "jobEvents",
  { keys: ["outbox"], uses: [LUA_RECORD] },
  String.raw`
local jobEvents, jobEventIds = {}, {}
-- records a job event of task id; false (and nothing recorded) for a task outside jobs
local function jobEvent(id, front, delta, result)
  local job = jobOf(front)
  if job == "" then return false end
  local e = jobEvents[id]
  if not e then e = {job, 0, false}; jobEvents[id] = e; jobEventIds[#jobEventIds + 1] = id end
  e[2] = e[2] + delta
  if result then e[3] = result end
  return true
end
local function flushJobEvents()
  if #jobEventIds == 0 then return end
  local sets, dels = {}, {}
  for i = 1, #jobEventIds, CHUNK do
    local j = math.min(i + CHUNK - 1, #jobEventIds)
    local old = redis.call("HMGET", OUTBOX, unpack(jobEventIds, i, j))
    for k = i, j do
      local id = jobEventIds[k]
      local e = jobEvents[id]
      local delta, result = e[2], e[3]
      local prev = old[k - i + 1]
      if prev then
        local _, d, r = string.match(prev, "^([^\n]*)\n([^\n]*)\n?(.*)$")
        delta = delta + (tonumber(d) or 0)
        if not result and r ~= "" then result = r end
      end
      if delta == 0 and not result then dels[#dels + 1] = id
      else
        sets[#sets + 1] = id
        sets[#sets + 1] = e[1] .. "\n" .. delta .. (result and ("\n" .. result) or "")
      end
    end
  end
  chunked("HSET", OUTBOX, sets, CHUNK)
  chunked("HDEL", OUTBOX, dels, CHUNK)
  jobEvents, jobEventIds = {}, {}
end
`,
);
