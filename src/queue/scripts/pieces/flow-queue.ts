import { FLOW_PARTITION_SLOT } from "../../keys";
import { luaPiece } from "./index";
import { LUA_FLOW_STATE } from "./flow-state";

/**
 * The flow queue, segmented by partition (issue 14): a keyed task that becomes ready waits in the
 * flow queue of its own partition, `f:<label>` ("<key>\n<id>", score (1000 - priority) * 2^42 + its
 * key's round), so no key grows with the keyed tasks of a queue. FPARTS indexes the partitions that
 * hold some, scored by a lower bound of each one's head (exact after an enqueue, the last score taken
 * after a claim), and popQueued merges their heads in score order: the round-robin of one ZPOPMIN over
 * one set, at one ZPOPMIN a claim when one partition leads (a backlog enqueued in bursts), and one
 * ZPOPMIN (and seldom one ZADD of what comes after the next partition's head) a partition visited
 * when their rounds overlap. The shared FLOWQ (label "") takes the keyed tasks a script made
 * ready without holding their partition (a promotion of a delayed task reads no record).
 */
export const LUA_FLOW_QUEUE = luaPiece(
  "flow-queue",
  { keys: ["meta", "flowParts", "flowQueue"], uses: [LUA_FLOW_STATE] },
  String.raw`
local FLOW_HEADS, FLOW_STEPS = 8, 16
-- the flow queue of a partition ("" the shared one), nil when this call does not hold the partition
function flow.queueKey(label)
  if label == "" then return FLOWQ end
  local p = PART[label]
  return p and p[${FLOW_PARTITION_SLOT}]
end
-- adds entries {score, member, id}: each to its partition's flow queue, and moves each partition's
-- index score down to its lowest new score (LT: a lower bound stays one)
function flow.addQueued(entries)
  local groups, labels = {}, {}
  for _, e in ipairs(entries) do
    local label = partOf(e[3])
    if not PART[label] then label = "" end
    local g = groups[label]
    if not g then g = {low = e[1]}; groups[label] = g; labels[#labels + 1] = label end
    g[#g + 1] = int(e[1]); g[#g + 1] = e[2]
    if e[1] < g.low then g.low = e[1] end
  end
  local index = {}
  for _, label in ipairs(labels) do
    local low = groups[label].low
    chunked("ZADD", flow.queueKey(label), groups[label], CHUNK)
    -- the tail hint (FLOW ""): the partition the last enqueue indexed and a score its index entry is
    -- at or below; entries at or above it change nothing there (a burst's batches share a partition)
    local tl, tb = string.match(flow.g and flow.g.tail or "", "^([^\t]*)\t(.*)$")
    if not (tl == label and low >= tonumber(tb)) then
      index[#index + 1] = int(low); index[#index + 1] = label
      if flow.g then flow.g.tail, flow.gDirty = label .. "\t" .. int(low), true end
    end
    if flow.g then flow.headAdded(label, low) end
  end
  if #index > 0 then redis.call("ZADD", FPARTS, "LT", unpack(index)) end
end
-- a claim moved a partition's index entry up to score (false: out): the tail hint follows it
flow.moved = {}
function flow.indexMoved(label, score) flow.moved[label] = score end
function flow.applyMoves()
  local tl = string.match(flow.g.tail or "", "^([^\t]*)\t")
  if tl and flow.moved[tl] ~= nil then
    flow.g.tail = flow.moved[tl] and (tl .. "\t" .. int(flow.moved[tl])) or ""
    flow.gDirty = true
  end
  flow.moved = {}
end
-- one step of the merge: pops from the partition p = {label, lower bound} its entries up to bound
-- (and up to an id of a partition this call does not hold: the shared set's), puts back the rest
-- (one ZADD, seldom: most claims take all they pop), p[2] becoming its new head's score or a lower
-- bound of it. Returns how many it took, whether the partition ran dry, whether the claim must stop,
-- whether p[2] is its head's exact score
local function popStep(p, want, bound, out, needPartition)
  local key = flow.queueKey(p[1])
  local popped = redis.call("ZPOPMIN", key, want)
  local back, took, stop = {}, 0, false
  for i = 1, #popped, 2 do
    local score = tonumber(popped[i + 1])
    local id = string.match(popped[i], "\n([^\n]*)$")
    if #back == 0 and score <= bound and not PART[partOf(id)] then needPartition(partOf(id)); stop = true end
    if #back == 0 and not stop and score <= bound then
      out[#out + 1] = {popped[i], score, p[1]}; took = took + 1
      p[2] = score
    else back[#back + 1] = popped[i + 1]; back[#back + 1] = popped[i] end
  end
  if #back > 0 then chunked("ZADD", key, back, CHUNK); p[2] = tonumber(back[1]) end
  return took, #back == 0 and #popped / 2 < want, stop, #back > 0
end
-- the claim's fast path: the head hint (META _fq, mirrored in FLOW "" for the scripts that add
-- entries) names the partition leading the index and a lower bound of every other one's head, so a
-- claim that the head can serve reads and writes no index: one ZPOPMIN, as with one set
-- "<label>\t<bound>\t<next label>": the next partition is named so that the claim after the head runs
-- dry holds it (the claim's hint) and need not run again
local HEAD_FORMAT = "^([^\t]*)\t([^\t]*)\t?(.*)$"
function flow.headOf(label, bound, nextLabel) return label .. "\t" .. int(math.min(bound, 1e18)) .. "\t" .. (nextLabel or "") end
-- entries added to a partition other than the hinted head, below its bound: the hint goes
function flow.headAdded(label, low)
  local hl, hb = string.match(flow.g.head or "", HEAD_FORMAT)
  if hl and hl ~= label and low <= tonumber(hb) then
    flow.g.head, flow.gDirty, flow.headGone = "", true, true
    redis.call("HDEL", META, "_fq")
  end
end
-- the slow path: the index's heads, merged; returns whether the flow queues ran dry, the new head hint
local function mergeFromIndex(want, out, needPartition, hintLabel)
  local steps, dry, head = 0, false, nil
  for _ = 1, 2 do
    if want <= 0 or steps >= FLOW_STEPS then break end
    local heads = redis.call("ZRANGE", FPARTS, 0, FLOW_HEADS - 1, "WITHSCORES")
    local parts = {}
    for i = 1, #heads, 2 do parts[#parts + 1] = {heads[i], tonumber(heads[i + 1])} end
    -- unread partitions start at the last head read or later: nothing after it is taken blind
    local horizon = #parts == FLOW_HEADS and parts[#parts][2] or math.huge
    dry = #parts == 0
    local changed, gone, stop, blocked = {}, {}, false, false
    while want > 0 and #parts > 0 and steps < FLOW_STEPS and not stop do
      table.sort(parts, function(a, b) return a[2] < b[2] end)
      local p = parts[1]
      if p[2] > horizon then blocked = true; break end
      if not flow.queueKey(p[1]) then
        needPartition(p[1]); stop = true; break
      end
      local bound = math.min(parts[2] and parts[2][2] or math.huge, horizon)
      steps = steps + 1
      local took, ranDry, exact
      took, ranDry, stop, exact = popStep(p, want, bound, out, needPartition)
      want = want - took
      -- a lower bound that stayed one costs nothing to keep; a head found above it is written
      if ranDry then gone[#gone + 1] = p[1]; table.remove(parts, 1); changed[p[1]] = nil
      elseif exact then changed[p[1]] = p[2] end
    end
    table.sort(parts, function(a, b) return a[2] < b[2] end)
    -- the partitions still holding work: the next claim should hold them
    for _, q in ipairs(parts) do if q[1] ~= "" then hintLabel(q[1]) end end
    if parts[1] and parts[1][1] ~= "" then head = flow.headOf(parts[1][1], math.min(parts[2] and parts[2][2] or math.huge, horizon), parts[2] and parts[2][1]) end
    local scores = {}
    for label, score in pairs(changed) do
      scores[#scores + 1] = int(score); scores[#scores + 1] = label
      flow.indexMoved(label, score)
    end
    if #scores > 0 then redis.call("ZADD", FPARTS, "XX", unpack(scores)) end
    chunked("ZREM", FPARTS, gone, CHUNK)
    for _, label in ipairs(gone) do flow.indexMoved(label, false) end
    dry = dry or (#parts == 0 and #heads < FLOW_HEADS * 2)
    if stop or not blocked then break end
  end
  return dry, head
end
-- pops up to want entries {member, score, label} in score order across the partitions' flow queues,
-- up to the first partition this call does not hold (needPartition names it; hintLabel the others
-- read: the claim's hint). hinted: META's _fq. Returns the entries, whether every flow queue ran dry,
-- and the head hint to keep (nil: none)
function flow.popQueued(want, hinted, needPartition, hintLabel)
  local out, keep, dry, head = {}, false, false, nil
  local hl, hb, nextLabel = string.match(flow.headGone and "" or (hinted or ""), HEAD_FORMAT)
  if hl and flow.queueKey(hl) then
    local p = {hl, -math.huge}
    local took, ranDry, stop, exact = popStep(p, want, tonumber(hb), out, needPartition)
    want = want - took
    hintLabel(hl)
    if nextLabel ~= "" then hintLabel(nextLabel) end
    keep = stop or (want <= 0 and not ranDry)
    -- the head ran dry or reached the bound: the index decides from here
    if not keep then
      if ranDry then redis.call("ZREM", FPARTS, hl); flow.indexMoved(hl, false)
      elseif exact then redis.call("ZADD", FPARTS, "XX", int(p[2]), hl); flow.indexMoved(hl, p[2]) end
    end
  end
  if not keep and want > 0 then dry, head = mergeFromIndex(want, out, needPartition, hintLabel) end
  -- the records' write refused (pieces/buffers.ts): the taken entries go back where they were
  if #out > 0 then
    onRefused(function()
      local back = {}
      for _, e in ipairs(out) do back[#back + 1] = {e[2], e[1], string.match(e[1], "\n([^\n]*)$")} end
      flow.addQueued(back)
    end)
  end
  return out, dry, keep and hinted or head
end
`,
);
