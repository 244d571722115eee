/**
 * Flow control's cost and fairness (issue 14), beside its targets:
 * - Redis commands per task over enqueue + a settleAndClaim drain at batch 100, tasks without a key
 *   versus the same tasks with flow-control keys (limits that never bind, so only the keys' cost
 *   shows), in alternating rounds: target ≤ 0.05 extra;
 * - the claim script's time in redis-server with 10,000 keys versus one key, at the same depth,
 *   sampled in alternation (bench/flow-claim.ts): target ≤ 1.5x (1,000,000 queued; --quick: 100,000);
 * - fairness: a key enqueuing single tasks while another key's backlog drains: its p99 wait versus
 *   its p99 wait on an empty queue, target ≤ 2x. The two are measured in alternating rounds (the
 *   backlog stays between its rounds) so that the machine's load, which varies, weighs on both alike.
 * Adds its run to bench/results/flow.json (the last few, FLOW_RUNS_KEPT) and the README's figures.  Run: node --import tsx bench/flow.ts [--quick] [--depth N]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { FLOW_RUNS_KEPT, type FlowResults, type FlowRun } from "./flow-tables";
import { rewriteReadme } from "./readme";
import type { ClaimedTask, EnqueueRequest, TaskQueue } from "../src/queue/types";
import type { ClaimCostAtDepth } from "./claim-cost";
import { interleavedClaimCost } from "./flow-claim";
import { queueClients } from "./edgeq-client";
import { benchQueueName, drainLoop, noopTasks } from "./edgeq-workload";
import { commandDelta, RedisProbe } from "./redis-probe";
import { startBenchServers } from "./servers";
import { chunks, percentile, range } from "./workload";

const QUICK = process.argv.includes("--quick");
const BATCH = 100;
const COST_TASKS = QUICK ? 5_000 : 20_000;
const COST_ROUNDS = 4;
/** `--depth N`: the queued tasks of the claim and fairness runs. */
const depthArg = process.argv.indexOf("--depth");
const DEPTH = depthArg > 0 ? Number(process.argv[depthArg + 1]) : QUICK ? 100_000 : 1_000_000;
const MANY_KEYS = 10_000;
const CLAIM_SAMPLES = QUICK ? 15 : 40;
const BACKLOG = depthArg > 0 ? DEPTH : QUICK ? 50_000 : 1_000_000;
const SMALL_TASKS = QUICK ? 120 : 300;
/** Solo and beside-the-backlog rounds, alternating. */
const FAIRNESS_ROUNDS = 3;
/** Limits that never bind: the measured cost is the keys' own, not that of tasks held back. */
const LOOSE = { parallelism: 100_000 };

const keyed =
  (keys: number) =>
  (count: number, offset: number): EnqueueRequest[] =>
  noopTasks(count, offset).map((task, i) => ({ ...task, flowControl: { key: `tenant-${(offset + i) % keys}`, ...LOOSE } }));

type Tasks = (count: number, offset: number) => EnqueueRequest[];
type CostOf = { commandsPerTask: number; byCommand: Record<string, number> };

/** Commands of enqueuing `count` tasks into a new queue in batches of BATCH and draining it. */
async function costRun(queue: TaskQueue, probe: RedisProbe, tasks: Tasks, count: number) {
  const name = benchQueueName("flowcost");
  const before = await probe.commands();
  for (const [i, batch] of chunks(range(count), BATCH).entries()) await queue.enqueue(name, tasks(batch.length, i * BATCH));
  const done = await drainLoop(queue, name, BATCH, false);
  if (done !== count) throw new Error(`drained ${done} of ${count}`);
  return commandDelta(before, await probe.commands());
}

/**
 * Commands per task of each workload, COST_TASKS each, run in COST_ROUNDS alternating rounds: ids
 * fall in 32 ms partitions by the real clock, so how calls share partitions (and a few commands)
 * follows the machine's load, which then weighs on each side alike.
 */
async function commandsPerTask(queue: TaskQueue, probe: RedisProbe, variants: Tasks[]) {
  const totals = variants.map(() => ({ total: 0, byCommand: {} as Record<string, number> }));
  for (let round = 0; round < COST_ROUNDS; round++) {
    const order = variants.map((_, i) => (round % 2 === 0 ? i : variants.length - 1 - i));
    for (const i of order) {
      const delta = await costRun(queue, probe, variants[i]!, COST_TASKS / COST_ROUNDS);
      totals[i]!.total += delta.total;
      for (const [k, v] of Object.entries(delta.byCommand)) totals[i]!.byCommand[k] = (totals[i]!.byCommand[k] ?? 0) + v;
    }
  }
  return totals.map((t): CostOf => ({ commandsPerTask: t.total / COST_TASKS, byCommand: Object.fromEntries(Object.entries(t.byCommand).map(([k, v]) => [k, +(v / COST_TASKS).toFixed(4)])) }));
}

/** Fills queue `name` with `backlog` tasks of key "big". */
async function fillBacklog(queue: TaskQueue, name: string, backlog: number): Promise<void> {
  const big = (count: number, offset: number) => noopTasks(count, offset).map((t) => ({ ...t, flowControl: { key: "big", ...LOOSE } }));
  for (const batch of chunks(range(backlog), 1_000)) await queue.enqueue(name, big(batch.length, batch[0]!));
}

/**
 * Waits of `count` single tasks of key "small" (claim time minus enqueue time, both from this
 * process's clock), enqueued one at a time while a drainer claims batches of 100 from queue `name`
 * (beside whatever backlog it holds).
 */
async function smallKeyWaits(queue: TaskQueue, name: string, count: number): Promise<number[]> {
  const waits: number[] = [];
  let stop = false;
  // a worker's drain loop: one settleAndClaim per batch (src/runtime/drain.ts)
  const drainer = (async () => {
    let claimed: ClaimedTask[] = [];
    while (!stop) {
      const completions = claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null }));
      claimed = (await queue.settleAndClaim(name, { completions, failures: [] }, BATCH)).claimed;
      const at = Date.now();
      // the small key's tasks are those with a number for input
      for (const task of claimed) if (typeof task.input === "number") waits.push(at - task.enqueuedAt);
      if (claimed.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const completions = claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: null }));
    await queue.settleAndClaim(name, { completions, failures: [] }, 0);
  })();
  for (let i = 0; i < count; i++) {
    await queue.enqueue(name, [{ fn: "noop", input: i, flowControl: { key: "small", ...LOOSE } }]);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const deadline = Date.now() + 120_000;
  while (waits.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  stop = true;
  await drainer;
  if (waits.length < count) throw new Error(`only ${waits.length} of ${count} small tasks were claimed`);
  return waits;
}

/** Solo and beside-the-backlog waits of the small key, in alternating rounds. */
async function fairness(queue: TaskQueue): Promise<{ solo: number[]; beside: number[] }> {
  const backlogQueue = benchQueueName("fair");
  await fillBacklog(queue, backlogQueue, BACKLOG);
  const solo: number[] = [];
  const beside: number[] = [];
  const perRound = Math.ceil(SMALL_TASKS / FAIRNESS_ROUNDS);
  for (let round = 0; round < FAIRNESS_ROUNDS; round++) {
    solo.push(...(await smallKeyWaits(queue, benchQueueName("solo"), perRound)));
    beside.push(...(await smallKeyWaits(queue, backlogQueue, perRound)));
  }
  return { solo: solo.sort((a, b) => a - b), beside: beside.sort((a, b) => a - b) };
}

async function main() {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0]!;
  const servers = await startBenchServers();
  const probe = new RedisProbe(servers.redisUrl);
  try {
    const queues = queueClients(servers, 4);
    const queue = queues[0]!;
    await probe.reset();
    const step = (what: string) => console.error(`${new Date().toISOString()} ${what}`);
    step("commands per task");
    const [plain, oneKey, tenKeys] = (await commandsPerTask(queue, probe, [noopTasks, keyed(1), keyed(10)])) as [CostOf, CostOf, CostOf];
    step(`claim time, one key and ${MANY_KEYS} keys, alternating`);
    const [oneKeyClaim, manyKeysClaim] = (await interleavedClaimCost(queues, probe, DEPTH, CLAIM_SAMPLES, [keyed(1), keyed(MANY_KEYS)])) as [ClaimCostAtDepth & { commandsPerClaim: Record<string, number> }, ClaimCostAtDepth & { commandsPerClaim: Record<string, number> }];
    await probe.reset();
    step("fairness");
    const { solo, beside } = await fairness(queue);
    const p99 = (waits: number[]) => percentile(waits, 99);
    const results = {
      startedAt,
      loadAverage: loadAtStart,
      quick: QUICK,
      machineNote: "taken on a machine shared with other work: ratios matter, absolute figures are loaded ones",
      commandsPerTask: {
        withoutKeys: plain.commandsPerTask,
        oneKey: oneKey.commandsPerTask,
        tenKeys: tenKeys.commandsPerTask,
        extraPerTask: { oneKey: oneKey.commandsPerTask - plain.commandsPerTask, tenKeys: tenKeys.commandsPerTask - plain.commandsPerTask, target: 0.05 },
        byCommand: { withoutKeys: plain.byCommand, tenKeys: tenKeys.byCommand },
      },
      claimScriptTime: {
        depth: DEPTH,
        oneKey: oneKeyClaim,
        manyKeys: { keys: MANY_KEYS, ...manyKeysClaim },
        ratio: manyKeysClaim.serverP50Us / oneKeyClaim.serverP50Us,
        target: 1.5,
      },
      fairness: {
        backlog: BACKLOG,
        smallTasks: solo.length,
        rounds: FAIRNESS_ROUNDS,
        soloP50Ms: percentile(solo, 50),
        soloP99Ms: p99(solo),
        besideBacklogP50Ms: percentile(beside, 50),
        besideBacklogP99Ms: p99(beside),
        ratio: p99(beside) / Math.max(1, p99(solo)),
        target: 2,
      },
    };
    mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
    const file = new URL("./results/flow.json", import.meta.url);
    const earlier: FlowRun[] = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as FlowResults).runs : [];
    const kept: FlowResults = { runs: [...earlier, results].slice(-FLOW_RUNS_KEPT) };
    writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
    rewriteReadme();
  } finally {
    await probe.close();
    await servers.stop();
  }
}

await main();
