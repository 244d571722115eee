import { SETTING_FIELDS } from "../settings";
import { defineQueueScript } from "./queue-script";

/**
 * Totals the scripts keep in the stats hash (pieces/buffers.ts flush adds them to the stats hash's
 * one read-modify-write, so they cost no command of their own). `_rdy` counts the ids in the ready
 * lists of every partition, `_tomb` the canceled ones among them; `_prio`, `_dly` and `_xd` the ids in
 * the partitions' prioritized, delayed and dead sets (pieces/segments.ts: no set is per queue, so no
 * ZCARD gives them); `_fq` the keyed tasks waiting or held back by flow control (pieces/flow.ts);
 * `enqueued` exists from a queue's first enqueue or setting on (the queue exists).
 */
export const COUNTER_FIELDS = ["succeeded", "failed", "dead", "canceled", "retried", "_tomb", "_rdy", "_prio", "_dly", "_xd", "_fq", "enqueued"] as const;

/** Lua: the queue's prioritized, delayed and dead depths from the totals read (values, by COUNTER_FIELDS). */
export function depthsFromTotals(values: string): string {
  const at = (name: (typeof COUNTER_FIELDS)[number]) => `(tonumber(${values}[${COUNTER_FIELDS.indexOf(name) + 1}]) or 0)`;
  return `${at("_prio")}, ${at("_dly")}, ${at("_xd")}`;
}

export const statsScript = defineQueueScript({
  name: "stats",
  summary: "(read only) a queue's depths, counters and settings in one call",
  keys: ["meta", "stats"],
  readOnly: true,
  contract: String.raw`
ARGV[1] queue name   ARGV[2] number S of settings   ARGV[3 .. 2+S] settings (meta fields)
ARGV[3+S ..] totals (stats hash fields), "enqueued" last
Returns { enqueued total (nil: unknown queue), settings, totals, prioritized (_prio), delayed (_dly), dead (_xd) }
(ARGV's totals are COUNTER_FIELDS in order: the depths are read from them)
`,
  body: String.raw`
local s = tonumber(ARGV[2])
local settings, totals = {}, {}
for i = 3, 2 + s do settings[#settings + 1] = ARGV[i] end
for i = 3 + s, #ARGV do totals[#totals + 1] = ARGV[i] end
local values = redis.call("HMGET", STATS, unpack(totals))
return {values[#values], redis.call("HMGET", META, unpack(settings)), values, ${depthsFromTotals("values")}}
`,
});

export const STATS_ARGS = [String(SETTING_FIELDS.length), ...SETTING_FIELDS, ...COUNTER_FIELDS];
