import { SETTING_FIELDS } from "../settings";
import { luaPiece } from "./pieces/index";
import { LUA_BUFFERS } from "./pieces/buffers";
import { COUNTER_FIELDS, depthsFromTotals, readTotals } from "./stats";

/**
 * The start of a worker invocation, run by the settle script before its claim (ARGV[7..10], see
 * settle.ts) so that a push costs one request before its tasks run: the replay mark of the delivery
 * (QStash's replay guard), the push epoch advanced, and the queue's figures as the stats script
 * reads them. Returns the start reply; `startBatch` is the claim size it sets.
 *   {0}  the replay mark existed already (a replayed delivery): nothing else was read or written
 *   {1}  no such queue, or one not registered since its totals moved to the stats hash (the next
 *        enqueue or cron upkeep registers it); the mark is kept: the delivery was used
 *   {2, enqueued, settings (HMGET of SETTING_FIELDS), totals (HMGET of COUNTER_FIELDS), prioritized,
 *      delayed, dead, push epoch}: the stats script's reply, then the epoch (depths from the totals,
 *      stats.ts depthsFromTotals)
 */
export const LUA_START = luaPiece(
  "start",
  { keys: ["pushEpoch", "replayMark"], uses: [LUA_BUFFERS] },
  String.raw`
local START_SETTINGS = {${SETTING_FIELDS.map((field) => `"${field}"`).join(", ")}}
local START_TOTALS = {${COUNTER_FIELDS.map((field) => `"${field}"`).join(", ")}}
local startBatch = 0
local function startInvocation(queue, defaultBatch, markTtl, markValue)
  -- first of all: a delivery seen before changes nothing (SET NX is atomic with the rest)
  if markTtl ~= "" and not redis.call("SET", REPLAY_MARK, markValue, "NX", "PX", markTtl) then return {0} end
  -- a queue exists once it has an enqueued total (register.ts): the registry stays off this path
  ${readTotals("totals", "START_TOTALS")}
  local enqueued = totals[${COUNTER_FIELDS.indexOf("enqueued") + 1}]
  if not enqueued then return {1} end
  local settings = redis.call("HMGET", META, unpack(START_SETTINGS))
  startBatch = tonumber(settings[${SETTING_FIELDS.indexOf("batchSize") + 1}]) or tonumber(defaultBatch)
  local epoch = redis.call("INCR", PUSH_EPOCH)
  return {2, enqueued, settings, totals,
    ${depthsFromTotals("totals")}, epoch}
end
`,
);
