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
Returns one code per id: 1 canceled, -1 TaskNotFound (or of another queue), -4 NotCancelable;
or {"_need", labels} before anything is written: the partitions of the records' expiry bucket.
A canceled task of priority 0 leaves its id in the ready list as a tombstone (LREM would cost
O(queue length)); the claim skips it and the _tomb counter keeps the queued depth exact. A keyed
one stays in its flow queue (pieces/flow.ts), counted out of the queued tasks (_fq) at once. A delayed
task already promoted (its record still "d", its id in its partition's prioritized set) leaves that set.
`,
  body: String.raw`
local queue = ARGV[3]
local ids = {}
for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
local m = readMeta({"_gk"})
local keepMs = tonumber(m.resultTtlMs)
expiry.start(m)
load(ids)
-- the canceled records' expiry bucket: its chunks' partitions before anything is written (pieces/expiry.ts)
local cancelable = 0
for _, id in ipairs(ids) do
  local st = cache[id] and string.sub(cache[id], 1, 1)
  if st == "q" or st == "d" then cancelable = cancelable + 1 end
end
if cancelable > 0 then
  local need = {}
  expiry.need({[expiry.due(NOW + keepMs)] = cancelable}, function(label) if not PART[label] then need[#need + 1] = label end end)
  if #need > 0 then return {NEED, need} end
end
local out, fromPrio, fromDelayed = {}, {}, {}
for i, id in ipairs(ids) do
  local rec, code = cache[id], -1
  if rec then
    local h, body = parse(rec)
    if queueOf(body) ~= queue then code = -1
    elseif h[F_ST] == "q" or h[F_ST] == "d" then
      local keyed = flow.of(rec)
      if h[F_ST] == "d" then
        local member = delayedMember(id, h[F_PRIO])
        fromDelayed[#fromDelayed + 1] = member; fromPrio[#fromPrio + 1] = id
        -- flow control: a keyed task promoted (due, no longer in its delayed set) waits in its key's
        -- turn, counted in _fq (one ZSCORE, for a due keyed task alone)
        if keyed and (fromTime(h[F_RUNAT]) or 0) <= NOW and not redis.call("ZSCORE", partKey(partOf(id), SLOT_DELAYED), member) then
          count("_fq", -1)
        end
      else
        if h[F_PRIO] ~= "" then fromPrio[#fromPrio + 1] = id end
        -- flow control: a keyed task has no ready-list tombstone; it leaves the queued count now (the
        -- claim that pops it counts out live tasks alone)
        if keyed then count("_fq", -1) elseif h[F_PRIO] == "" then count("_tomb", 1) end
      end
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
