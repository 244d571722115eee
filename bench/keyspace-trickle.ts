/**
 * The partition indexes when tasks trickle into a queue that does not drain (issue 13): one task per
 * partition (caller-given ULIDs 32 ms apart, the finest step ids.ts partitionOf has) into a paused
 * queue, a third ready, a third prioritized, a third delayed by a day, with the cron's upkeep once per
 * simulated minute (1,875 partitions), which folds an index past its fold size into groups
 * (src/queue/scripts/pieces/part-index.ts). Prints the largest key against partitions, the bytes an
 * index member takes, and the largest key extrapolated to 10,000,000 partitions, beside what one
 * index per kind would weigh. Then (--costs) Redis commands per task, inner calls included, of a
 * prioritized drain, a delayed drain and batch enqueues with random (UUID) dedup keys.
 * Starts its own redis-server and REST server.
 *   node --import tsx bench/keyspace-trickle.ts [--partitions 60000] [--costs] [--tasks 10000]
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type IORedis from "ioredis";
import { newTaskId } from "../src/queue/ids";
import { createTaskQueue } from "../src/queue/index";
import { FOLD_AT, HASHED_GROUPS } from "../src/queue/scripts/pieces/part-index";
import type { EnqueueRequest, TaskQueue } from "../src/queue/types";
import { withKeyspaceServers } from "./keyspace-servers";
import { commandDelta, type RedisProbe } from "./redis-probe";

const MB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    partitions: { type: "string", default: "60000" },
    costs: { type: "boolean", default: false },
    tasks: { type: "string", default: "10000" },
  },
});
const PARTITIONS = Number(values.partitions);
const TASKS = Number(values.tasks);
/** Partitions a minute of trickle makes at most: one per 32 ms step of ULID time. */
const PER_MINUTE = 1_875;
/** Partitions one ULID group holds at most (a 6-character prefix: 32^3 steps of 32 ms). */
const GROUP_SPAN = 32 ** 3;
/** Each kind's index and the slot letter of its groups' sub-indexes (keys.ts partitionKeys). */
const INDEXES = { ready: ["rparts", "r"], prioritized: ["pparts", "p"], delayed: ["dparts", "d"] } as const;

let clock = Date.UTC(2026, 11, 1);

async function size(direct: IORedis, key: string): Promise<number> {
  return Number(await direct.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
}

/** Each index (its top key) and the largest key among it and its groups' sub-indexes. */
async function indexSizes(direct: IORedis, base: string) {
  const out: Record<string, { top: number; members: number; groups: number; largest: number; partitions: number; perMember: number }> = {};
  for (const [kind, [name, slot]] of Object.entries(INDEXES)) {
    const top = `${base}:${name}`;
    const subs = await direct.keys(`${base}:${slot}:^*`);
    const subSizes = await Promise.all(subs.map((key) => size(direct, key)));
    const subMembers = await Promise.all(subs.map((key) => direct.zcard(key)));
    const members = await direct.zcard(top);
    out[kind] = {
      top: await size(direct, top),
      members,
      groups: subs.length,
      largest: Math.max(await size(direct, top), ...subSizes),
      partitions: members - subs.length + subMembers.reduce((a, b) => a + b, 0),
      // bytes a member takes in the largest sub-index (a sorted set of thousands, as a full group is)
      perMember: Math.max(0, ...subSizes.map((bytes, i) => (subMembers[i]! >= 1_000 ? bytes / subMembers[i]! : 0))),
    };
  }
  return out;
}

async function trickle(queue: TaskQueue, direct: IORedis): Promise<void> {
  const name = "trickle";
  const base = `kt:q:{${name}}`;
  await queue.updateSettings(name, { paused: true });
  const start = clock - PARTITIONS * 32;
  const BATCH = 500;
  let perMember = 0;
  let topPerMember = 0;
  const started = performance.now();
  console.log("partitions\tlargest index key\ttop members (ready/prioritized/delayed)\tgroups");
  for (let at = 0; at < PARTITIONS; at += BATCH) {
    const batch: EnqueueRequest[] = [];
    for (let i = at; i < Math.min(at + BATCH, PARTITIONS); i++) {
      const task: EnqueueRequest = { fn: "echo", input: i, id: newTaskId(start + i * 32) };
      if (i % 3 === 1) task.priority = 1 + (i % 5);
      if (i % 3 === 2) task.delayMs = 86_400_000;
      batch.push(task);
    }
    clock += BATCH * 32;
    await queue.enqueue(name, batch);
    // the cron's upkeep, once per minute of trickle
    if (Math.floor((at + BATCH) / PER_MINUTE) > Math.floor(at / PER_MINUTE)) while ((await queue.upkeep(name, 1_000)).more);
    if ((at + BATCH) % 10_000 === 0 || at + BATCH >= PARTITIONS) {
      const sizes = await indexSizes(direct, base);
      const largest = Math.max(...Object.values(sizes).map((s) => s.largest));
      perMember = Math.max(perMember, ...Object.values(sizes).map((s) => s.perMember));
      topPerMember = Math.max(topPerMember, ...Object.values(sizes).map((s) => (s.members > 128 ? s.top / s.members : 0)));
      console.log(`${at + BATCH}\t${(largest / 1024).toFixed(1)} KB\t${Object.values(sizes).map((s) => s.members).join("/")}\t${Object.values(sizes).map((s) => s.groups).join("/")}`);
    }
  }
  const sizes = await indexSizes(direct, base);
  const partitions = Object.values(sizes).reduce((a, s) => a + s.partitions, 0);
  if (perMember === 0) throw new Error("no group reached 1,000 members: run more partitions");
  console.log(`\n${partitions} partitions indexed in ${((performance.now() - started) / 1000).toFixed(0)} s; an index member takes ${perMember.toFixed(1)} bytes in a group of thousands`);
  // extrapolated to 10,000,000 partitions, every one in one kind's index:
  const ten = 10_000_000;
  const oneLevel = ten * perMember;
  const top = (FOLD_AT + PER_MINUTE + Math.ceil(ten / GROUP_SPAN) + HASHED_GROUPS) * Math.max(perMember, topPerMember);
  const ulidGroup = GROUP_SPAN * perMember;
  const hashedGroup = (ten / HASHED_GROUPS) * perMember;
  console.log(`at 10,000,000 partitions: one index a kind ${(oneLevel / MB).toFixed(0)} MB; two levels: top ≤ ${(top / MB).toFixed(2)} MB, ` +
    `a ULID group ≤ ${(ulidGroup / MB).toFixed(2)} MB, a hashed group (numbered or hashed ids only) ≈ ${(hashedGroup / MB).toFixed(2)} MB (target ≤ 16 MB)`);
}

/** Commands per task of one workload (inner calls included), from INFO commandstats. */
async function perTask(probe: RedisProbe, tasks: number, run: () => Promise<void>): Promise<{ total: number; top: string }> {
  const before = await probe.commands();
  await run();
  const delta = commandDelta(before, await probe.commands());
  const top = Object.entries(delta.byCommand).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, calls]) => `${name} ${(calls / tasks).toFixed(3)}`).join(", ");
  return { total: delta.total / tasks, top };
}

async function drainAll(queue: TaskQueue, name: string): Promise<void> {
  for (let claimed = await queue.claim(name, 100); claimed.length > 0; claimed = await queue.claim(name, 100)) {
    await queue.complete(name, claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null })));
  }
}

async function costs(queue: TaskQueue, probe: RedisProbe): Promise<void> {
  const batches = (make: (i: number) => EnqueueRequest) => Array.from({ length: TASKS / 100 }, (_, b) => Array.from({ length: 100 }, (_, i) => make(b * 100 + i)));
  const prioritized = await perTask(probe, TASKS, async () => {
    for (const batch of batches((i) => ({ fn: "echo", input: i, priority: 1 + (i % 5) }))) await queue.enqueue("cost-prio", batch);
    await drainAll(queue, "cost-prio");
  });
  const delayed = await perTask(probe, TASKS, async () => {
    for (const batch of batches((i) => ({ fn: "echo", input: i, delayMs: 1_000 }))) {
      clock += 1;
      await queue.enqueue("cost-delayed", batch);
    }
    clock += 2_000;
    await drainAll(queue, "cost-delayed");
  });
  const dedup = await perTask(probe, TASKS, async () => {
    for (const batch of batches((i) => ({ fn: "echo", input: i, dedupKey: crypto.randomUUID() }))) await queue.enqueue("cost-dedup", batch);
  });
  console.log(`\nRedis commands per task (inner calls included), ${TASKS} tasks in batches of 100:`);
  console.log(`  prioritized drain (enqueue, claim, complete): ${prioritized.total.toFixed(3)} (${prioritized.top})`);
  console.log(`  delayed drain (enqueue, promote, claim, complete): ${delayed.total.toFixed(3)} (${delayed.top})`);
  console.log(`  enqueue with a random (UUID) dedup key a task: ${dedup.total.toFixed(3)} (${dedup.top})`);
}

await withKeyspaceServers({ recordSizeCheckMs: 1_000 }, async ({ redis, direct, probe }) => {
  const queue = createTaskQueue(redis, { prefix: "kt", now: () => clock });
  console.log(`load average ${loadavg()[0]!.toFixed(1)} (the machine is shared: figures of one run)`);
  if (values.costs) await costs(queue, probe);
  else await trickle(queue, direct);
});
