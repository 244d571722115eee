import { HeadField, LEASE_TOKEN_SEPARATOR, StateField } from "../codec";
import { headFieldsPattern, leadingStateFields } from "./pieces/record";
import { LUA_SETTINGS } from "./pieces/settings";
import { LUA_CLAIM } from "./pieces/claim";
import { LUA_START } from "./start";
import { LUA_FLOW } from "./pieces/flow";
import { defineQueueScript } from "./queue-script";
import { WAITER_MARK_FIELD } from "./wait-mark";

/**
 * [edge, issue 11] A finished task's record rides on the done channel's message when it is at most
 * this long, and while the message's records stay within DONE_MESSAGE_BYTES: a result of a few
 * hundred bytes saves its waiter a read; a large one is read as before.
 */
export const DONE_RECORD_BYTES = 2_048;
export const DONE_MESSAGE_BYTES = 16_384;

/** The state fields up to KeepMs, then the front ("\t" head "\n" input) with its job and flow fields, then the rest. */
const SETTLE_PATTERN = JSON.stringify(
  JSON.parse(leadingStateFields(StateField.KeepMs + 1)) + "[^\t]*(\t" + headFieldsPattern([HeadField.JobId, HeadField.Flow]) + "[^\n]*\n[^\n]*)(.*)$",
);

/**
 * A running task's state segment as a claim writes it (nine fields, up to KeepMs), which a batch's
 * tasks share: read once per distinct segment. Captures: the fields from Attempts to StartedAt with
 * their separators (carried over as one string), Attempts, StartedAt, KeepMs.
 */
function runningPattern(): string {
  const state = ["^r("];
  for (let at = StateField.Attempts; at <= StateField.StartedAt; at++) state.push(at === StateField.Attempts || at === StateField.StartedAt ? "|([^|]*)" : "|[^|]*");
  state.push("|)");
  for (let at = StateField.StartedAt + 1; at < StateField.KeepMs; at++) state.push("[^|]*|");
  state.push("([^|]*)$");
  return JSON.stringify(state.join(""));
}
/** From a record's tab: a head that ends at its queue (no job, dedup key or flow); the position of its newline. */
const PLAIN_HEAD_PATTERN = JSON.stringify("^\t" + "[^|\n]*|".repeat(HeadField.Queue) + "[^|\n]*\n");
const RUNNING_PATTERN = runningPattern();

/**
 * settle: completes and fails a batch, then claims the next one (complete, fail, claim and
 * settleAndClaim all run this one script; the parts not asked for cost nothing). The claim and the
 * completions read the leading state fields into locals in StateField order (a table parse and
 * format cost twice as much per task), and write the new state in that order.
 */
export const settleScript = defineQueueScript({
  name: "settle",
  summary: "complete + fail + claim in one call. The claim runs first (its pops and the settled",
  uses: [LUA_SETTINGS, LUA_CLAIM, LUA_START, LUA_FLOW],
  partitioned: true,
  contract: String.raw`
ids share one HMGET); settled tasks are running, so they are never among those claimed.
ARGV[1] now ms          ARGV[2] defaults (settings.ts scriptDefaults)
ARGV[3] claim max (0: claim nothing)    ARGV[4] lease ms ("" = the queue's leaseMs)
ARGV[5] completions C   ARGV[6] failures F
ARGV[7] "" or, for the start of a worker invocation (start.ts), the queue name: the claim max is then
  the queue's batch size, ARGV[8] when it has none stored; ARGV[9] replay mark TTL ms ("" = no mark),
  ARGV[10] the mark's value. A start settles nothing (C = F = 0).
then C triples: id, lease token, result JSON
then F quintuples: id, lease token, error JSON string, retryable "1"|"0", random in [0,1) for jitter
Returns { outcomes, claimed, maxAttempts, start, nextDue, hint, short, claim max (a start's: the batch size) }:
  outcomes: per completion then per failure, a pair (code, runAt): 1 succeeded, 2 retrying (runAt),
    3 dead; -1 TaskNotFound, -2 LeaseMismatch, -3 NotRunning (nothing written for these)
  claimed: id, record, id, record, ... in claim order (priority, then FIFO)
  maxAttempts: the queue's setting (claimed records carry it already)
  start: {} when ARGV[7] is "", else start.ts's reply; unless it begins with 2 nothing else ran
  nextDue: the earliest delayed task's due time (ms) as the call left it, "" when none or not read
    (only a claim or a failure reads it): the caller's delayed push for delayed tasks and retries
  hint: partition labels the next claim should hold (pieces/claim.ts); short: 1 when the claim stopped
    at a partition this call did not hold
Ids are local ids (the queue's keys name the queue, ids.ts).
Publishes the ids it finished (succeeded or dead), comma-separated, once per call on the channel
"<KEYS[3]>:done" (keys.ts doneChannel): what wakes a long-poll waiting for one of them; only while
the waiters' mark (meta ${WAITER_MARK_FIELD}, wait-mark.ts) is at least now, or when the call reads no meta
(it settles alone: no claim, no failure). When some of
their records are small, a space and a JSON object of them (local id -> record) follow the ids, so
that the waiter answers with no read of its own (DONE_RECORD_BYTES).
`,
  body: String.raw`
local claimMax = tonumber(ARGV[3])
local nComplete, nFail = tonumber(ARGV[5]), tonumber(ARGV[6])
if not claimMax or not nComplete or not nFail then return -6 end
local start = {}
if ARGV[7] ~= "" then
  if nComplete + nFail > 0 then return -6 end
  start = startInvocation(ARGV[7], ARGV[8], ARGV[9], ARGV[10])
  if start[1] ~= 2 then return {{}, {}, 0, start} end
  claimMax = startBatch
end
local base = 11 + nComplete * 3
local settleIds = {}
for i = 0, nComplete - 1 do settleIds[i + 1] = ARGV[11 + i * 3] end
for i = 0, nFail - 1 do settleIds[nComplete + i + 1] = ARGV[base + i * 5] end

local m = {}
local metaRead = claimMax > 0 or nFail > 0
if metaRead then m = readMeta({"_due", "_seq", "_pe", "_rh", "_fz", "_fh", "_fq", "_re", "_live", "${WAITER_MARK_FIELD}"}) end
local leaseMs = tonumber(ARGV[4]) or tonumber(m.leaseMs)
local keepMs = tonumber(m.resultTtlMs) or tonumber(DEFAULTS[3])

local c = {leaseMs = leaseMs, maxAttempts = m.maxAttempts, nowB36 = b36(NOW), keepB36 = b36(keepMs)}
if claimMax > 0 and m.paused ~= "1" then claimBatch(claimMax, m, c, settleIds) else load(settleIds) end

-- settle
local function backoffDelay(attempt, rand)
  local baseMs, cap, jitter = tonumber(m.backoffBaseMs), tonumber(m.backoffMaxMs), tonumber(m.backoffJitter)
  local d = baseMs
  if m.backoffType ~= "fixed" then d = baseMs * 2 ^ (attempt - 1) end
  if d > cap then d = cap end
  return math.floor(d * (1 - jitter * rand))
end
local outcomes, finished = {}, {}
-- completions, the hot path of settling. Lua per task is what bounds a drain at batch 100
-- (redis-server's one thread), and Lua's matcher costs per pattern item and capture: the common
-- record (running, outside jobs and flows, no result or errors of an earlier attempt) is read by
-- plain finds and its state segment, which a batch's tasks share, is parsed once (RUNNING_PATTERN);
-- any other by one match of the nine leading state fields, the front (tab, head, input) with the
-- head's job and flow fields, and what follows the input. The new record is one concatenation;
-- what the tasks of a batch share (expiry, new state, lease token, counts) is computed once. A
-- function of its own, so that its locals take none of the body's headroom
local function completeAll()
  local SETTLE_FIELDS, RUNNING, PLAIN_HEAD = ${SETTLE_PATTERN}, ${RUNNING_PATTERN}, ${PLAIN_HEAD_PATTERN}
  local nowB36, expiresB36, succeeded = c.nowB36, b36(NOW + keepMs), 0
  -- expiry by the record's own keep time, and by state segment (a batch's tasks share theirs): its
  -- new state, lease token and claim time (false: not the running shape), settled attempts
  local expiresOf, shapes, settledBy = {[""] = expiresB36}, {}, {}
  local find, sub = string.find, string.sub
  for i = 0, nComplete - 1 do
    local id, token = ARGV[11 + i * 3], ARGV[12 + i * 3]
    local rec, code = cache[id], -1
    -- the common shape first: a running task outside jobs and flows with neither result nor errors
    -- from an earlier attempt; its new record is the new state and its own tab, head and input
    local tab = rec and find(rec, "\t", 1, true)
    local state = tab and sub(rec, 1, tab - 1)
    local shape = state and shapes[state]
    if shape == nil and state then
      local carried, att, started, keep = string.match(state, RUNNING)
      shape = false
      if carried then
        local expires = expiresOf[keep]
        if not expires then expires = b36(NOW + (fromTime(keep) or keepMs)); expiresOf[keep] = expires end
        shape = {"s" .. carried .. "|" .. keep .. "|" .. nowB36 .. "|" .. expires, att .. "${LEASE_TOKEN_SEPARATOR}" .. started, started}
      end
      shapes[state] = shape
    end
    local _, headEnd
    if shape then _, headEnd = find(rec, PLAIN_HEAD, tab) end
    if headEnd and not find(rec, "\n", headEnd + 1, true) then
      if shape[2] ~= token then code = -2
      else
        local result = ARGV[13 + i * 3]
        put(id, shape[1] .. sub(rec, tab) .. (result == "" and "" or "\n") .. result)
        succeeded = succeeded + 1
        settledBy[state] = (settledBy[state] or 0) + 1
        finished[#finished + 1] = id
        code = 1
      end
    elseif rec then
      local st, att, prio, timeout, maxAtt, runAt, started, _, keep, front, job, flowKey, after = string.match(rec, SETTLE_FIELDS)
      if st ~= "r" then code = -3
      elseif att .. "${LEASE_TOKEN_SEPARATOR}" .. started ~= token then code = -2
      else
        if flowKey ~= "" then flow.settled(rec) end -- flow control: the slot is free
        local result = ARGV[13 + i * 3]
        -- a job's map result goes to its job (jobs/lua.ts), not into the record
        if job ~= "" and jobEvent(id, string.sub(front, 2), 0, result) then result = "" end
        local sep = result == "" and "" or "\n"
        if after ~= "" then front, sep, result = joinBody(front, result, string.match(after, "^\n[^\n]*\n(.*)$") or ""), "", "" end
        local expires = expiresOf[keep]
        if not expires then expires = b36(NOW + (fromTime(keep) or keepMs)); expiresOf[keep] = expires end
        put(id, "s|" .. att .. "|" .. prio .. "|" .. timeout .. "|" .. maxAtt .. "|" .. runAt .. "|" .. started .. "||" .. keep
          .. "|" .. nowB36 .. "|" .. expires .. front .. sep .. result)
        succeeded = succeeded + 1
        observeSettle(started)
        finished[#finished + 1] = id
        code = 1
      end
    end
    outcomes[2 * i + 1] = code; outcomes[2 * i + 2] = 0 -- the first outcomes of the call
  end
  for state, n in pairs(settledBy) do observeSettle(shapes[state][3], n) end
  if succeeded > 0 then count("succeeded", succeeded) end
end
completeAll()
for i = 0, nFail - 1 do
  local at = base + i * 5
  local id = ARGV[at]
  local h, body, code = running(id, ARGV[at + 1])
  local runAt = 0
  if h then
    flow.settled(cache[id]) -- flow control: the slot is free
    local front, result, errors = sections(body)
    errors = appendError(errors, ARGV[at + 2])
    count("failed", 1)
    observeSettle(h[F_STARTED])
    local attempt = tonumber(h[F_ATT])
    local maxAttempts = tonumber(h[F_MAXATT]) or tonumber(m.maxAttempts)
    if ARGV[at + 3] == "1" and attempt < maxAttempts then
      runAt = NOW + backoffDelay(attempt, tonumber(ARGV[at + 4]) or 0)
      h[F_ST] = "d"; h[F_RUNAT] = b36(runAt); h[F_LEASE] = ""
      put(id, format(h, joinBody(front, result, errors)))
      makeDelayed(id, runAt, h[F_PRIO])
      code = 2
    else
      toDead(id, h, front, result, errors)
      finished[#finished + 1] = id
      code = 3
    end
  end
  outcomes[#outcomes + 1] = code; outcomes[#outcomes + 1] = runAt
end

flush()
-- [edge, issue 11] the small records ride on the wake-up: a ?wait= answers from it, without a read.
-- Only while a waiter's mark stands (wait-mark.ts), or when this call read no meta to know
if #finished > 0 and (not metaRead or (tonumber(m.${WAITER_MARK_FIELD}) or 0) >= NOW) then
  local shown, size = {}, 0
  for _, id in ipairs(finished) do
    local rec = cache[id]
    if rec and #rec <= ${DONE_RECORD_BYTES} and size + #rec <= ${DONE_MESSAGE_BYTES} then shown[id] = rec; size = size + #rec end
  end
  local message = table.concat(finished, ",")
  if size > 0 then message = message .. " " .. cjson.encode(shown) end
  redis.call("PUBLISH", META .. ":done", message)
end
local due = m._due
if dueRead then due = nextDue end
due = flow.due(due) -- flow control: a push when a held key opens
return {outcomes, claimed, tonumber(m.maxAttempts) or tonumber(DEFAULTS[1]), start, due or "", claimHint, claimShort and 1 or 0, claimMax}
`,
});
