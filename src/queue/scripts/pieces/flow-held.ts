import { luaPiece } from "./index";
import { LUA_FLOW_STATE } from "./flow-state";

/**
 * Tasks held back by their key's limits (README "Flow control"), kept where their records are: the
 * field "~H<key>" of the task's own partition hash lists the key's held ids of that partition in the
 * order they were held ("~" is in no task id), and the key's state lists those partitions (held parts,
 * flow-state.ts). So holding grows no key beyond its partition, and the field is written with the
 * records' HSET (buffers.ts flush, flowHooks.fields): a write refused at the record-size limit puts it
 * back with the rest. A claim holds the partition of every task it pops, so it may always hold one.
 */
export const LUA_FLOW_HELD = luaPiece(
  "flow-held",
  { uses: [LUA_FLOW_STATE] },
  String.raw`
-- heldOf[records key .. "\n" .. field] = {key = records key, field, ids, old = value read (false: none)}
flow.heldOf, flow.heldOrder = {}, {}
local function heldField(label, key)
  local records = PART[label][1]
  return records, "~H" .. key
end
-- reads the held fields of these {label, key} pairs not read yet: one HMGET a partition
function flow.readHeld(pairs)
  local byRecords, order = {}, {}
  for _, pair in ipairs(pairs) do
    local records, field = heldField(pair[1], pair[2])
    local at = records .. "\n" .. field
    if not flow.heldOf[at] then
      flow.heldOf[at] = {key = records, field = field, ids = {}, old = false}
      flow.heldOrder[#flow.heldOrder + 1] = at
      if not byRecords[records] then byRecords[records] = {}; order[#order + 1] = records end
      table.insert(byRecords[records], at)
    end
  end
  for _, records in ipairs(order) do
    local names = {}
    for i, at in ipairs(byRecords[records]) do names[i] = flow.heldOf[at].field end
    local values = redis.call("HMGET", records, unpack(names))
    for i, at in ipairs(byRecords[records]) do
      local h = flow.heldOf[at]
      h.old = values[i] or false
      if values[i] then h.ids = split(values[i], ",") end
    end
  end
end
-- holds task id of key (state s) back: appended to its partition's field for the key
function flow.hold(s, key, id)
  local label = partOf(id)
  local records, field = heldField(label, key)
  if not flow.heldOf[records .. "\n" .. field] then flow.readHeld({{label, key}}) end
  local h = flow.heldOf[records .. "\n" .. field]
  h.ids[#h.ids + 1] = id
  h.dirty = true
  local listed = false
  for _, l in ipairs(s.heldParts) do if l == label then listed = true; break end end
  if not listed then s.heldParts[#s.heldParts + 1] = label end
end
-- takes up to n held ids of key (state s), oldest partition first, up to a partition this call does
-- not hold (needPartition names it); a partition left with none leaves the key's list
function flow.takeHeld(s, key, n, needPartition)
  local out = {}
  while #out < n and #s.heldParts > 0 do
    local label = s.heldParts[1]
    if not PART[label] then needPartition(label); break end
    flow.readHeld({{label, key}})
    local records, field = heldField(label, key)
    local h = flow.heldOf[records .. "\n" .. field]
    local take = math.min(n - #out, #h.ids)
    for i = 1, take do out[#out + 1] = h.ids[i] end
    if take > 0 then
      local rest = {}
      for i = take + 1, #h.ids do rest[#rest + 1] = h.ids[i] end
      h.ids = rest
      h.dirty = true
    end
    if #h.ids == 0 then table.remove(s.heldParts, 1) end
  end
  return out
end
-- the fields to write with the records (non-empty ones), merged into buffers.ts flush's fields[records]
-- as name, value pairs; a write refused there puts back what the fields held before
function flow.heldFields(fields)
  local restore = {}
  for _, at in ipairs(flow.heldOrder) do
    local h = flow.heldOf[at]
    if h.dirty and #h.ids > 0 then
      local f = fields[h.key]
      if not f then f = {}; fields[h.key] = f end
      f[#f + 1] = h.field; f[#f + 1] = table.concat(h.ids, ",")
    end
    if h.dirty then restore[#restore + 1] = h end
  end
  if #restore > 0 then
    onRefused(function()
      for _, h in ipairs(restore) do
        if h.old then redis.call("HSET", h.key, h.field, h.old) else redis.call("HDEL", h.key, h.field) end
      end
    end)
  end
end
-- after the records' write: the emptied fields go (an HDEL is never refused)
function flow.dropEmptyHeld()
  for _, at in ipairs(flow.heldOrder) do
    local h = flow.heldOf[at]
    if h.dirty and #h.ids == 0 and h.old then redis.call("HDEL", h.key, h.field) end
    h.dirty = false
  end
end
`,
);
