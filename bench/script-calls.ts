/**
 * Redis calls by the script that made them, from a MONITOR feed: redis-server logs a script's
 * EVALSHA before the calls it makes inside (Redis 7), so each "lua" line belongs to the last script
 * seen on the feed. What a single-task enqueue, a claim or an upkeep costs is then read by name:
 * the fixed calls of a script (stats, push info, registry) show as inner calls per script call.
 */
import { createHash } from "node:crypto";
import { rewriteForRedis } from "../dev/rest-server/script-flags";
import { foldCommitScript, foldTakeScript, jobCreateScript, jobFinishScript } from "../src/queue/jobs/scripts";
import { registerScript } from "../src/queue/registry";
import { cancelScript } from "../src/queue/scripts/cancel";
import { deadScript } from "../src/queue/scripts/dead";
import { enqueueScript } from "../src/queue/scripts/enqueue";
import { extendScript } from "../src/queue/scripts/extend";
import type { LuaScript } from "../src/queue/scripts/runner";
import { settingsScript } from "../src/queue/scripts/settings";
import { settleScript } from "../src/queue/scripts/settle";
import { statsScript } from "../src/queue/scripts/stats";
import { upkeepScript } from "../src/queue/scripts/upkeep";
import { queueStatsScript } from "../src/queue/stats/read";
import { rateTakeScript } from "../src/security/rate-limit";

const SCRIPTS: LuaScript[] = [
  enqueueScript, settleScript, extendScript, cancelScript, deadScript, upkeepScript, statsScript, settingsScript,
  queueStatsScript, registerScript, jobCreateScript, jobFinishScript, foldTakeScript, foldCommitScript, rateTakeScript,
];

/** Per script: how many calls, and the commands made inside them by name (totals over the trace). */
export interface ScriptCalls {
  calls: number;
  inner: Record<string, number>;
}

export interface ScriptTally {
  /** Feeds one MONITOR line (source "lua" for a script's inner call). */
  add(source: string, args: string[]): void;
  /** Per script name ("(no script)" for top-level commands), per `units` (tasks). */
  perUnit(units: number): Record<string, { calls: number; innerPerCall: Record<string, number>; innerPerTask: number }>;
}

export async function scriptTally(): Promise<ScriptTally> {
  const names = new Map<string, string>();
  for (const script of SCRIPTS) {
    names.set(await script.sha(), script.name);
    // the local REST server runs a flagged script as a body of its own (dev/rest-server/script-flags.ts)
    const body = rewriteForRedis(script.source);
    if (body !== undefined) names.set(createHash("sha1").update(body).digest("hex"), script.name);
  }
  const tally = new Map<string, ScriptCalls>();
  const entry = (name: string) => {
    let calls = tally.get(name);
    if (!calls) tally.set(name, (calls = { calls: 0, inner: {} }));
    return calls;
  };
  let current = "(no script)";
  return {
    add(source, args) {
      const command = (args[0] ?? "").toLowerCase();
      if (source === "lua") {
        const inner = entry(current).inner;
        inner[command] = (inner[command] ?? 0) + 1;
        return;
      }
      if (command === "evalsha" || command === "eval") {
        current = command === "eval" ? "(eval)" : names.get(args[1] ?? "") ?? `sha ${(args[1] ?? "").slice(0, 8)}`;
        entry(current).calls++;
      } else {
        current = "(no script)";
        const top = entry(current).inner;
        top[command] = (top[command] ?? 0) + 1;
      }
    },
    perUnit(units) {
      const round = (n: number) => Math.round(n * 1000) / 1000;
      const out: ReturnType<ScriptTally["perUnit"]> = {};
      for (const [name, { calls, inner }] of tally) {
        const total = Object.values(inner).reduce((a, b) => a + b, 0);
        const perCall = Object.fromEntries(Object.entries(inner).map(([command, n]) => [command, round(n / Math.max(1, calls))]));
        out[name] = { calls: round(calls / Math.max(1, units)), innerPerCall: perCall, innerPerTask: round(total / Math.max(1, units)) };
      }
      return out;
    },
  };
}
