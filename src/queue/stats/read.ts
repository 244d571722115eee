/**
 * Reads a queue's statistics (kept by the scripts, see lua.ts) in one read-only script call and
 * turns them into figures: throughput per minute for the last hour, run-time and wait percentiles,
 * the age of the oldest waiting task, the invocations at work, and the cumulative histograms
 * /metrics exposes.
 */
import { decodeRecord, field, fromBase36, HeadField, StateField, text } from "../codec";
import { asArray, runQueueScript, type QueueContext } from "../context";
import { defineQueueScript } from "../scripts/queue-script";
import { LUA_SEGMENTS } from "../scripts/pieces/segments";
import { LUA_PART_INDEX } from "../scripts/pieces/part-index";
import { validateQueueName } from "../validate";
import type { MinuteCounts, MinuteStats, QueueStats } from "./figures";
import { addInto, BUCKETS, emptyHistogram, type Histogram, percentiles } from "./histogram";
import { KEPT_MINUTES, MINUTE_LETTERS } from "./lua";

export const queueStatsScript = defineQueueScript({
  name: "queueStats",
  summary: "(read only) a queue's statistics and the heads of its ready structures",
  keys: ["ready", "prioritized", "stats"],
  uses: [LUA_SEGMENTS, LUA_PART_INDEX],
  readOnly: true,
  partitioned: true,
  contract: String.raw`
Returns { stats hash as a flat field/value list,
  id, state+head segment, ... of the first ids of the first ready list, the first id of the first
  prioritized set and the last of the last (PPARTS's order) },
or {"_need", labels} (run again with those partitions)
`,
  body: String.raw`
local need = {}
-- seg (issue 13): an index's first (or last) partition, through a folded group (pieces/part-index.ts)
local function edge(index, slot, at)
  local label = redis.call("ZRANGE", index, at, at)[1]
  if label and ix.isGroup(label) then
    if not PART[label] then need[#need + 1] = label; return nil end
    label = redis.call("ZRANGE", PART[label][slot], at, at)[1]
  end
  if label and not PART[label] then need[#need + 1] = label end
  return label
end
local first = edge(READY, 2, 0)
-- seg (issue 13): the prioritized sets are per partition (scripts/pieces/segments.ts)
local prioFirst, prioLast = edge(PPARTS, SLOT_PRIO, 0), edge(PPARTS, SLOT_PRIO, -1)
if #need > 0 then return {NEED, need} end
local heads = {}
if prioFirst then heads[#heads + 1] = redis.call("ZRANGE", PART[prioFirst][SLOT_PRIO], 0, 0)[1] end
if prioLast then heads[#heads + 1] = redis.call("ZRANGE", PART[prioLast][SLOT_PRIO], -1, -1)[1] end
if first then
  local listed = redis.call("LRANGE", PART[first][2], 0, 4)
  for i = #listed, 1, -1 do table.insert(heads, 1, listed[i]) end
end
local out = {}
for _, id in ipairs(heads) do
  local rec = redis.call("HGET", recordsOf(id), id)
  if rec then out[#out + 1] = id; out[#out + 1] = string.match(rec, "^[^\n]*") end
end
return {redis.call("HGETALL", STATS), out}
`,
});

export type MinuteLetter = (typeof MINUTE_LETTERS)[number];
const LETTER_NAMES: Record<MinuteLetter, keyof MinuteCounts> = {
  e: "enqueued",
  s: "succeeded",
  f: "failed",
  x: "dead",
  c: "canceled",
  r: "retried",
};

const MINUTE_MS = 60_000;

function emptyCounts(): MinuteCounts {
  return { enqueued: 0, succeeded: 0, failed: 0, dead: 0, canceled: 0, retried: 0 };
}

export async function getStats(ctx: QueueContext, queue: string): Promise<QueueStats> {
  validateQueueName(queue);
  const now = ctx.now();
  const [rawHash, rawHeads] = asArray(await runQueueScript(ctx.redis, ctx.prefix, queueStatsScript, queue, []));
  const hash = asArray(rawHash);
  const current = Math.floor(now / MINUTE_MS);
  const first = current - KEPT_MINUTES;
  const minutes = Array.from({ length: KEPT_MINUTES + 1 }, () => ({ counts: emptyCounts(), run: emptyHistogram(), wait: emptyHistogram() }));
  const totals = { runTime: emptyHistogram(), wait: emptyHistogram() };
  let activeInvocations = 0;
  for (let i = 0; i < hash.length; i += 2) {
    const name = text(hash[i]);
    if (name === "_a") {
      activeInvocations = countActive(text(hash[i + 1]), now);
      continue;
    }
    const value = Number(text(hash[i + 1]));
    const colon = name.indexOf(":");
    if (colon < 0) {
      addField(name[0] === "d" ? totals.runTime : name[0] === "w" ? totals.wait : null, name.slice(1), value);
      continue;
    }
    const minute = Number(name.slice(0, colon)) - first;
    const slot = minutes[minute];
    if (!slot) continue; // outside the hour: not yet deleted
    const kind = name.slice(colon + 1);
    const letter = kind as MinuteLetter;
    if (letter in LETTER_NAMES) slot.counts[LETTER_NAMES[letter]] += value;
    else addField(kind[0] === "d" ? slot.run : kind[0] === "w" ? slot.wait : null, kind.slice(1), value);
  }
  const lastHour = emptyCounts();
  const run = emptyHistogram();
  const wait = emptyHistogram();
  const perMinute = minutes.map((slot, i): MinuteStats => {
    for (const key of Object.keys(lastHour) as (keyof MinuteCounts)[]) lastHour[key] += slot.counts[key];
    addInto(run, slot.run);
    addInto(wait, slot.wait);
    const p = percentiles(slot.run);
    return { at: (first + i) * MINUTE_MS, ...slot.counts, runP50Ms: p.p50, runP95Ms: p.p95 };
  });
  return {
    at: now,
    minutes: perMinute,
    lastHour,
    runTime: percentiles(run),
    wait: percentiles(wait),
    oldestWaitingMs: oldestWaiting(asArray(rawHeads), now),
    activeInvocations,
    totals,
  };
}

/** Entries of the "_a" field ("member:until36,...") whose lease has not run out. */
function countActive(field: string, now: number): number {
  return field === "" ? 0 : field.split(",").filter((entry) => (fromBase36(entry.slice(entry.indexOf(":") + 1)) ?? 0) >= now).length;
}

/** A histogram field after its kind letter: "s" (the sum in ms) or a bucket number. */
function addField(target: Histogram | null, rest: string, value: number): void {
  if (!target) return;
  if (rest === "s") {
    target.sumMs += value;
    return;
  }
  const index = Number(rest) - 1;
  if (!Number.isInteger(index) || index < 0 || index >= BUCKETS) return;
  target.buckets[index]! += value;
  target.count += value;
}

/** The longest-ready of the queued tasks at the heads of the ready structures. */
function oldestWaiting(flat: unknown[], now: number): number | null {
  let oldest: number | null = null;
  for (let i = 1; i < flat.length; i += 2) {
    const { state, head } = decodeRecord(`${text(flat[i])}\n`);
    if (field(state, StateField.State) !== "q") continue; // a canceled task's tombstone
    const createdAt = fromBase36(field(head, HeadField.CreatedAt)) ?? now;
    const readySince = Math.max(createdAt, fromBase36(field(state, StateField.RunAt)) ?? 0);
    oldest = Math.min(oldest ?? readySince, readySince);
  }
  return oldest === null ? null : Math.max(0, now - oldest);
}
