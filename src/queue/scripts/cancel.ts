import { LUA_SETTINGS } from "./pieces/settings";
import { LUA_TRANSITIONS } from "./pieces/transitions";
import { LUA_FLOW_STATE } from "./pieces/flow-state";
import { defineQueueScript } from "./queue-script";

/** cancel: queued or delayed tasks of one queue become canceled (kept resultTtlMs, then swept). */
export const cancelScript = defineQueueScript({
  name: "cancel",
  summary: "queued or delayed tasks of one queue become canceled (kept resultTtlMs, then swept)",
  uses: [LUA_SETTINGS, LUA_TRANSITIONS, LUA_FLOW_STATE],
  partitioned: true,
  contract: String.raw`
ARGV[1] now ms   ARGV[2] defaults   ARGV[3] queue name   ARGV[4..] local task ids
Returns one code per id: 1 canceled, -1 TaskNotFound (or of another queue), -4 NotCancelable.
A canceled task of priority 0 leaves its id in the ready list as a tombstone (LREM would cost
O(queue length)); the claim skips it and the _tomb counter keeps the queued depth exact. A keyed
one stays in its flow queue (pieces/flow.ts) and counts as queued until a claim pops it. A delayed
task already promoted (its record still "d", its id in its partition's prioritized set) leaves that set.
`,
  body: String.raw`
local queue = ARGV[3]
local ids = {}
for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
local keepMs = tonumber(readMeta({}).resultTtlMs)
load(ids)
local out, fromPrio, fromDelayed = {}, {}, {}
for i, id in ipairs(ids) do
  local rec, code = cache[id], -1
  if rec then
    local h, body = parse(rec)
    if queueOf(body) ~= queue then code = -1
    elseif h[F_ST] == "q" or h[F_ST] == "d" then
      if h[F_ST] == "d" then fromDelayed[#fromDelayed + 1] = delayedMember(id, h[F_PRIO]); fromPrio[#fromPrio + 1] = id
      elseif h[F_PRIO] ~= "" then fromPrio[#fromPrio + 1] = id
      -- flow control: a keyed task has no ready-list tombstone; the claim that pops it counts it out
      elseif not flow.of(rec) then count("_tomb", 1) end
      sweepAdd("G", finish(id, h, "c", body, keepMs), id)
      count("canceled", 1)
      jobEvent(id, body, 1)
      code = 1
    else code = -4 end
  end
  out[i] = code
end
-- after the records' write, which a full tasks hash refuses (pieces/buffers.ts): nothing is stranded then
flush()
-- ZREM of a member that is not there changes nothing: a delayed task is in one of the two
if #fromPrio > 0 then stat("_prio", -segmentRemove(fromPrio, SLOT_PRIO, PPARTS)) end
if #fromDelayed > 0 then stat("_dly", -segmentRemove(fromDelayed, SLOT_DELAYED, DPARTS)) end
flushStats({})
return out
`,
});
