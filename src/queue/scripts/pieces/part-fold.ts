import { luaPiece } from "./index";
import { FOLD_AT, FOLD_KEEP, FOLD_MAX, LUA_PART_INDEX } from "./part-index";
import { LUA_SEGMENTS } from "./segments";

/**
 * Upkeep's fold of the partition indexes (pieces/part-index.ts): an index past FOLD_AT members moves
 * those beyond its first FOLD_KEEP (FOLD_MAX a call at most) into their groups' sub-indexes. The
 * plan is read before upkeep's `_need` check (the groups must be declared), the moves written after
 * its flush. Partitions trickle into an index at most one per 32 ms step of ULID time (others are
 * bounded or hashed), so a fold a minute keeps every index near FOLD_AT members.
 */
export const LUA_PART_FOLD = luaPiece(
  "part-fold",
  { keys: ["ready", "prioritized", "delayed", "dead", "stats"], uses: [LUA_PART_INDEX, LUA_SEGMENTS] },
  String.raw`
-- the members to fold of one index (nil: it is small), grouped; needs(label) is called for each group
function ix.foldPlan(top, slot, desc, needs, tasks)
  -- an index has no more partitions than its tasks (the stats counters): most upkeeps stop here
  if (tonumber(tasks) or 0) <= ${FOLD_AT} then return nil end
  local size = redis.call("ZCARD", top)
  if size <= ${FOLD_AT} then return nil end
  local range = desc and "ZREVRANGE" or "ZRANGE"
  local tail = redis.call(range, top, ${FOLD_KEEP}, ${FOLD_KEEP + FOLD_MAX - 1}, "WITHSCORES")
  local plan = {top = top, slot = slot, desc = desc, groups = {}, order = {}, labels = {}, more = size > ${FOLD_KEEP + FOLD_MAX}}
  for i = 1, #tail, 2 do
    local label = tail[i]
    if not ix.isGroup(label) then
      local g = ix.groupOf(label)
      local entries = plan.groups[g]
      if not entries then entries = {}; plan.groups[g] = entries; plan.order[#plan.order + 1] = g; needs(g) end
      entries[#entries + 1] = tail[i + 1]; entries[#entries + 1] = label
      plan.labels[#plan.labels + 1] = label
    end
  end
  return plan
end
-- the plans of the four indexes, in an order any script can follow: one read of the counters of
-- their tasks, and a ZCARD of an index holding more tasks than its fold size
function ix.foldPlans(needs)
  local plans = {}
  local tasks = redis.call("HMGET", STATS, "_rdy", "_prio", "_dly", "_xd")
  for i, spec in ipairs({{READY, 2, false}, {PPARTS, SLOT_PRIO, false}, {DPARTS, SLOT_DELAYED, false}, {XPARTS, SLOT_DEAD, true}}) do
    local plan = ix.foldPlan(spec[1], spec[2], spec[3], needs, tasks[i])
    if plan then plans[#plans + 1] = plan end
  end
  return plans
end
-- writes a plan: each group's members into its sub-index (keeping the better bound of a member
-- already there), the groups into the index at their best member's bound, the members out of it.
-- Returns true when the index may still be past FOLD_AT
function ix.fold(plan)
  local mode = plan.desc and "GT" or "LT"
  local bounds = {}
  for _, g in ipairs(plan.order) do
    local entries, key = plan.groups[g], PART[g][plan.slot]
    local best = tonumber(entries[1])
    for i = 1, #entries, CHUNK do
      redis.call("ZADD", key, mode, unpack(entries, i, math.min(i + CHUNK - 1, #entries)))
    end
    for i = 3, #entries, 2 do
      local s = tonumber(entries[i])
      if ix.before(plan.desc, s, best) then best = s end
    end
    bounds[#bounds + 1] = int(best); bounds[#bounds + 1] = g
  end
  if #bounds > 0 then redis.call("ZADD", plan.top, mode, unpack(bounds)) end
  chunked("ZREM", plan.top, plan.labels, CHUNK)
  return plan.more
end
`,
);
