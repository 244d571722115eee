import { SETTING_FIELDS } from "../settings";
import { defineQueueScript } from "./queue-script";

/**
 * Totals the scripts keep in the stats hash (pieces/buffers.ts flush adds them to the stats hash's
 * one read-modify-write, so they cost no command of their own). `_rdy` counts the ids in the ready
 * lists of every partition, `_tomb` the canceled ones among them, `_fq` the keyed tasks waiting or held
 * back by flow control (pieces/flow.ts; so no script counts a flow set); `enqueued` exists from a queue's first enqueue or setting on (the queue exists).
 */
export const COUNTER_FIELDS = ["succeeded", "failed", "dead", "canceled", "retried", "_tomb", "_rdy", "_fq", "enqueued"] as const;

export const statsScript = defineQueueScript({
  name: "stats",
  summary: "(read only) a queue's depths, counters and settings in one call",
  keys: ["meta", "prioritized", "delayed", "dead", "stats"],
  readOnly: true,
  contract: String.raw`
ARGV[1] queue name   ARGV[2] number S of settings   ARGV[3 .. 2+S] settings (meta fields)
ARGV[3+S ..] totals (stats hash fields), "enqueued" last
Returns { enqueued total (nil: unknown queue), settings, totals, ZCARD prio, ZCARD delayed, ZCARD dead }
`,
  body: String.raw`
local s = tonumber(ARGV[2])
local settings, totals = {}, {}
for i = 3, 2 + s do settings[#settings + 1] = ARGV[i] end
for i = 3 + s, #ARGV do totals[#totals + 1] = ARGV[i] end
local values = redis.call("HMGET", STATS, unpack(totals))
return {values[#values], redis.call("HMGET", META, unpack(settings)), values, redis.call("ZCARD", PRIO), redis.call("ZCARD", DELAYED), redis.call("ZCARD", DEAD)}
`,
});

export const STATS_ARGS = [String(SETTING_FIELDS.length), ...SETTING_FIELDS, ...COUNTER_FIELDS];
