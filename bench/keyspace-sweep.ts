/**
 * The sweep set (`<queue>:sweep`) under a trickle, as a day of it would leave it (issue 13): tasks
 * enqueued one per 32 ms partition, each with a dedup key of its own partition (a ULID), claimed and
 * completed at once, with results kept `resultTtlMs` (24 h) and dedup keys `dedupWindowMs` (1 h),
 * while several isolates each run upkeep every simulated second. Prints the sweep set's members by
 * kind (G record expiry, D dedup expiry, L lease checks) and its MEMORY USAGE as the trickle goes on,
 * then the members a day of it adds at the rate measured, beside the bound of the layout
 * (src/queue/scripts/pieces/expiry.ts: a member per due bucket, 1/1024 of the TTL, plus one per 512
 * ids; dedup lists one per due 1/64 of the window and hashed home).
 * `--tree DIR` runs another tree's queue core (e.g. `git archive <commit> | tar -x -C DIR`, with
 * node_modules linked) for a before/after. Starts its own redis-server and REST server.
 *   node --import tsx bench/keyspace-sweep.ts [--seconds 600] [--rate 4] [--isolates 4] [--tree DIR]
 */
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type IORedis from "ioredis";
import { newTaskId } from "../src/queue/ids";
import { EXPIRY_BUCKETS, EXPIRY_LIST_IDS } from "../src/queue/scripts/pieces/expiry";
import type { TaskQueue } from "../src/queue/types";
import { withKeyspaceServers } from "./keyspace-servers";
import { commandDelta, type RedisProbe } from "./redis-probe";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "600" },
    rate: { type: "string", default: "4" },
    isolates: { type: "string", default: "4" },
    tree: { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const ISOLATES = Number(values.isolates);
const DAY_S = 86_400;
const Q = "trickle";
const SWEEP = `ks:q:{${Q}}:sweep`;

let clock = Date.UTC(2026, 11, 1);

async function sweepSet(direct: IORedis) {
  const members = (await direct.zrange(SWEEP, 0, -1)) as string[];
  const of = (kind: string) => members.filter((m) => m.startsWith(kind)).length;
  return { all: members.length, G: of("G"), D: of("D"), L: of("L"), bytes: Number(await direct.call("MEMORY", "USAGE", SWEEP, "SAMPLES", "0")) || 0 };
}

const scriptRuns = (delta: ReturnType<typeof commandDelta>) => (delta.byCommand.evalsha ?? 0) + (delta.byCommand.eval ?? 0);

async function trickle(isolates: TaskQueue[], direct: IORedis, probe: RedisProbe): Promise<void> {
  const [first] = isolates as [TaskQueue];
  await first.updateSettings(Q, { resultTtlMs: DAY_S * 1_000, dedupWindowMs: 3_600_000 });
  const started = performance.now();
  console.log("simulated s\tmembers (G / D / L)\tsweep set");
  let at = { s: 0, G: 0, D: 0 };
  const upkeep = { runs: 0, commands: 0 };
  const whole = await probe.commands();
  for (let second = 1; second <= SECONDS; second++) {
    for (let i = 0; i < RATE; i++) {
      clock += 40;
      await first.enqueue(Q, [{ fn: "echo", input: i, dedupKey: newTaskId(clock) }]);
    }
    const claimed = await first.claim(Q, 100);
    await first.complete(Q, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
    clock += 1_000 - RATE * 40;
    const before = await probe.commands();
    for (const isolate of isolates) await isolate.upkeep(Q, 1_000);
    const delta = commandDelta(before, await probe.commands());
    upkeep.runs += scriptRuns(delta);
    upkeep.commands += delta.total;
    if (second % Math.max(1, Math.floor(SECONDS / 6)) === 0 || second === SECONDS) {
      const set = await sweepSet(direct);
      console.log(`${second}\t${set.all} (${set.G} / ${set.D} / ${set.L})\t${(set.bytes / 1024).toFixed(1)} KB`);
      // growth measured past the first lease and dedup due times
      if (second >= SECONDS / 2 && at.s === 0) at = { s: second, G: set.G, D: set.D };
    }
  }
  const all = commandDelta(whole, await probe.commands());
  const end = await sweepSet(direct);
  const span = SECONDS - at.s;
  const gPerDay = ((end.G - at.G) / span) * DAY_S;
  const dPerHour = ((end.D - at.D) / span) * 3_600;
  const perMember = end.all > 0 ? end.bytes / end.all : 0;
  console.log(`\n${SECONDS} simulated s at ${RATE} tasks/s, ${ISOLATES} isolates upkeeping every second, in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(`record-expiry (G) members added a day at this rate: ${gPerDay.toFixed(0)} (a result TTL of 24 h keeps a day of them)`);
  console.log(`dedup-expiry (D) members added an hour (the window): ${dPerHour.toFixed(0)}`);
  console.log(`Redis commands a task, all included: ${(all.total / (SECONDS * RATE)).toFixed(2)}; upkeep: ${(upkeep.runs / (SECONDS * ISOLATES)).toFixed(2)} script runs a call (a _need try is a run), ${(upkeep.commands / SECONDS).toFixed(1)} commands a simulated second`);
  const tenMillion = (EXPIRY_BUCKETS + 10_000_000 / EXPIRY_LIST_IDS) * perMember;
  console.log(`10,000,000 finished tasks kept (any rate): at most ${EXPIRY_BUCKETS} + 10,000,000 / ${EXPIRY_LIST_IDS} record-expiry members, about ${(tenMillion / 1024 / 1024).toFixed(1)} MB`);
  console.log(`a day of the trickle: about ${(((gPerDay + Math.max(end.D, dPerHour)) * perMember) / 1024 / 1024).toFixed(2)} MB of sweep set at ${perMember.toFixed(0)} bytes a member (target: no key over 16 MB)`);
}

await withKeyspaceServers({ recordSizeCheckMs: 1_000 }, async ({ redis, direct, probe }) => {
  const core = (await import(values.tree ? `${resolve(values.tree)}/src/queue/index.ts` : "../src/queue/index")) as typeof import("../src/queue/index");
  const isolates = Array.from({ length: ISOLATES }, () => core.createTaskQueue(redis, { prefix: "ks", now: () => clock }));
  console.log(`load average ${loadavg()[0]!.toFixed(1)} (the machine is shared: figures of one run); queue core of ${values.tree ?? "this tree"}`);
  await trickle(isolates, direct, probe);
});
