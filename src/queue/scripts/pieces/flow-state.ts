import { HeadField } from "../../codec";
import { luaPiece } from "./index";
import { LUA_BUFFERS } from "./buffers";

/**
 * The state of each flow-control key, one field of the FLOW hash per key (an idle key keeps its ~30
 * bytes: its limits must outlive a retry's backoff, which no count here sees; the hash grows with
 * the keys a queue has used, never with its tasks):
 *   <parallelism>|<rate>|<periodMs>|<last round>|<waiting>|<held>|<leases>|<starts>|<held parts>
 * leases: "<until36>:<n>,..." running tasks grouped by lease deadline; a group past its deadline no
 *   longer counts, so an expired lease frees its slot at once, before upkeep reclaims the task.
 * starts: "<at36>:<n>,..." claims within the last period, grouped by claim time: an exact sliding
 *   log, so no window of `period` ever holds more than `rate` starts (a token bucket or GCRA would
 *   let a burst at a window's edge through); it holds at most `rate` groups.
 * held parts: "<label>,..." the partitions whose records hash holds some of the key's held tasks (field
 *   "~H<key>", pieces/flow.ts), in the order they were first held: it grows with the partitions a key's
 *   held backlog spans (a burst of enqueues shares one), never with the tasks in them.
 * Field "" holds the queue's totals: "<round>|<active keys>|<queued>|<held>|<lane round>|<head hint>|<tail
 * hint>" (the head hint as META's _fq, so that the scripts adding keyed tasks see it; the tail hint the
 * partition last indexed: flow-queue.ts). The round is
 * that of the last claimed keyed task: a key idle until now enters at the next round, not behind a busy
 * key's backlog; the lane round is the last round the tasks without a key took a turn in (a claim of
 * fewer tasks than lanes). META's `_fz` holds the active keys (waiting or held) while there are any:
 * the claim reads it with the settings it reads anyway, so a queue without keys pays nothing; `_fh` is
 * "1" while tasks are held back (the claim then looks for keys open again).
 */
export const LUA_FLOW_STATE = luaPiece(
  "flow-state",
  { keys: ["flow"], uses: [LUA_BUFFERS] },
  String.raw`
local flow = {}
flow.FIELD = ${JSON.stringify("^[^\t]*\t" + "[^|\n]*|".repeat(HeadField.Flow) + "([^|\n]*)")}
flow.STATE = "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|?(.*)$"
flow.st, flow.dirty, flow.dirtyKeys = {}, {}, {}
-- a record's flow-control key and limits, or nil for a task without one
function flow.of(rec)
  if not rec then return nil end
  local f = string.match(rec, flow.FIELD)
  if not f or f == "" then return nil end
  local par, rate, period, key = string.match(f, "^(%d*),(%d*),(%d*),(.+)$")
  return key, tonumber(par) or 0, tonumber(rate) or 0, tonumber(period) or 1000
end
function flow.groups(text)
  local out = {}
  for at, n in string.gmatch(text, "([^:,]+):(%d+)") do out[#out + 1] = {fromTime(at), tonumber(n)} end
  return out
end
function flow.parse(v)
  local s = {par = 0, rate = 0, period = 1000, last = 0, waiting = 0, held = 0, leases = {}, starts = {}, heldParts = {}, new = not v}
  if v then
    local par, rate, period, last, waiting, held, leases, starts, heldParts = string.match(v, flow.STATE)
    s.par, s.rate, s.period, s.last = tonumber(par) or 0, tonumber(rate) or 0, tonumber(period) or 1000, tonumber(last) or 0
    s.waiting, s.held = math.max(0, tonumber(waiting) or 0), math.max(0, tonumber(held) or 0)
    s.leases, s.starts = flow.groups(leases or ""), flow.groups(starts or "")
    for label in string.gmatch(heldParts or "", "[^,]+") do s.heldParts[#s.heldParts + 1] = label end
  end
  s.wasActive, s.wasHeld = s.waiting > 0 or s.held > 0, s.held > 0
  return s
end
function flow.groupText(groups)
  local out = {}
  for _, g in ipairs(groups) do if g[2] > 0 then out[#out + 1] = b36(g[1]) .. ":" .. g[2] end end
  return table.concat(out, ",")
end
function flow.format(s)
  return s.par .. "|" .. s.rate .. "|" .. s.period .. "|" .. int(s.last) .. "|" .. s.waiting .. "|" .. s.held .. "|"
    .. flow.groupText(s.leases) .. "|" .. flow.groupText(s.starts) .. "|" .. table.concat(s.heldParts, ",")
end
-- reads the states of these keys (and the totals) not read yet, with one HMGET per CHUNK
function flow.read(keys)
  local want, seen = {}, {}
  if not flow.g then want[1] = "" end
  for _, k in ipairs(keys) do
    if not flow.st[k] and not seen[k] then seen[k] = true; want[#want + 1] = k end
  end
  for i = 1, #want, CHUNK do
    local j = math.min(i + CHUNK - 1, #want)
    local values = redis.call("HMGET", FLOW, unpack(want, i, j))
    for k = i, j do
      local name, v = want[k], values[k - i + 1]
      if name == "" then
        local round, active, queued, held, lane, head, tail = string.match(v or "", "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|?([^|]*)|?([^|]*)|?(.*)$")
        flow.g = {round = tonumber(round) or 0, active = tonumber(active) or 0, queued = math.max(0, tonumber(queued) or 0),
          held = math.max(0, tonumber(held) or 0), lane = tonumber(lane) or 0, head = head or "", tail = tail or ""}
        -- the hint META holds now (flow.ts writes it whenever it changes)
        flow.g.hint = flow.g.active > 0 and flow.g.active or ((flow.g.queued > 0 or flow.g.held > 0) and 1 or 0)
        flow.g.heldHint = flow.g.held > 0
      else flow.st[name] = flow.parse(v) end
    end
  end
end
function flow.touch(key)
  if not flow.dirty[key] then flow.dirty[key] = true; flow.dirtyKeys[#flow.dirtyKeys + 1] = key end
end
-- drops expired lease groups and starts out of the window; sets s.running and s.started
function flow.prune(s)
  local leases, running = {}, 0
  for _, g in ipairs(s.leases) do if g[1] > NOW and g[2] > 0 then leases[#leases + 1] = g; running = running + g[2] end end
  local starts, started = {}, 0
  for _, g in ipairs(s.starts) do if g[1] > NOW - s.period and g[2] > 0 then starts[#starts + 1] = g; started = started + g[2] end end
  table.sort(starts, function(a, b) return a[1] < b[1] end)
  s.leases, s.starts, s.running, s.started = leases, starts, running, started
end
-- how many more of the key's tasks may start now (after flow.prune)
function flow.free(s)
  local free = 1000000000
  if s.par > 0 then free = math.min(free, s.par - s.running) end
  if s.rate > 0 then free = math.min(free, s.rate - s.started) end
  return free
end
-- when a key with no free slot gets one without a settle: its earliest lease expiry (parallelism),
-- the moment enough starts leave the window (rate); the later of the two when both bind
function flow.opensAt(s)
  local at = NOW
  if s.par > 0 and s.running >= s.par then
    local first = nil
    for _, g in ipairs(s.leases) do if not first or g[1] < first then first = g[1] end end
    if first and first > at then at = first end
  end
  if s.rate > 0 and s.started >= s.rate then
    local need, seen = s.started - s.rate + 1, 0
    for _, g in ipairs(s.starts) do
      seen = seen + g[2]
      if seen >= need then at = math.max(at, g[1] + s.period); break end
    end
  end
  return at
end
function flow.addGroup(groups, at, n)
  for _, g in ipairs(groups) do if g[1] == at then g[2] = g[2] + n; return end end
  groups[#groups + 1] = {at, n}
end
`,
);
