import { SETTING_FIELDS } from "../settings";
import { defineQueueScript } from "./queue-script";
import { LEDGER_FIELD, LEDGER_UNIT } from "../stats/lua";

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

/**
 * [cmds, issue 11] Lua: reads \`fields\` (a table of COUNTER_FIELDS in order) from the stats hash into
 * \`values\`, with the enqueue ledger's pending enqueues (stats/lua.ts ledger) added to _rdy and
 * enqueued, so that readers see them before the next stats write folds them in: one HMGET as before.
 */
export function readTotals(values: string, fields: string): string {
  const at = (name: (typeof COUNTER_FIELDS)[number]) => COUNTER_FIELDS.indexOf(name) + 1;
  return `local ${values}
do
  local names = {unpack(${fields})}
  names[#names + 1] = "${LEDGER_FIELD}"
  ${values} = redis.call("HMGET", STATS, unpack(names))
  local ledgerValue = table.remove(${values})
  local pending = (tonumber(ledgerValue) or 0) % ${LEDGER_UNIT}
  if pending > 0 then
    for _, i in ipairs({${at("_rdy")}, ${at("enqueued")}}) do ${values}[i] = string.format("%.0f", (tonumber(${values}[i]) or 0) + pending) end
  end
end`;
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
${readTotals("values", "totals")}
return {values[#values], redis.call("HMGET", META, unpack(settings)), values, ${depthsFromTotals("values")}}
`,
});

export const STATS_ARGS = [String(SETTING_FIELDS.length), ...SETTING_FIELDS, ...COUNTER_FIELDS];
