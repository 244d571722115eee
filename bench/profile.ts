/**
 * `node --import tsx bench/profile.ts [--quick] [--workers N] [--only single,bulk,health,wait]
 * [--no-profiles | --calls-only]`: what a request and a task cost in
 * each process of the local stack, for the patterns of issue 11 (single-task enqueues from 20
 * clients, bulk enqueues of 1,000 per request, GET /health, enqueue → ?wait= result), and where
 * that CPU goes. Each pattern runs twice on one stack: once plain, for CPU milliseconds per request
 * by process (/proc), Redis commands by name (INFO commandstats), REST requests and QStash messages
 * per task; once under V8's sampling profiler (this process through node:inspector, workerd through
 * its DevTools port), for the modules and functions that time goes to, and under MONITOR for the
 * Redis calls of each script by name (bench/script-calls.ts). A bare Worker (one fetch
 * handler, no Hono, no Redis) on the same harness gives the harness's own ceiling for /health.
 * Clients run in a process of their own (load-client.ts). Writes bench/results/profile.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "../dev/redis-server";
import { startStack, type Stack } from "../dev/stack";
import { buildBundle, startWorkerProcess } from "../dev/worker-process";
import { processCpuMs } from "./cpu";
import { bundleModules, profileThisProcess, profileWorker, summarize, type Profile, type ProfileSummary } from "./cpu-profile";
import type { PatternCost, ProfileResults } from "./profile-results";
import { benchQueueName } from "./edgeq-workload";
import { runLoad, type Load, type LoadResult } from "./load-client";
import { treeCpuMs } from "./process-tree";
import { commandDelta, RedisProbe } from "./redis-probe";
import { describe, startMonitor } from "./redis-trace";
import { scriptTally } from "./script-calls";
import { edge, untilDone } from "./system";
import { taskInput } from "./workload";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    workers: { type: "string", default: "1" },
    only: { type: "string" },
    "no-profiles": { type: "boolean", default: false },
    // the second run traces Redis calls by script (MONITOR) without V8's profilers
    "calls-only": { type: "boolean", default: false },
  },
});
const quick = values.quick ?? false;
const workerCount = Number(values.workers);

interface Pattern {
  key: "single" | "bulk" | "health" | "wait";
  name: string;
  /** Tasks it makes (0 for /health). */
  tasks: number;
  /** Whether its tasks are run before it ends (false: they are left queued in a paused queue). */
  settles?: boolean;
  load(stack: Stack, profiled: boolean): Load | Promise<LoadResult>;
}


function cpuSnapshot(stack: Stack): Record<string, number> {
  const snapshot: Record<string, number> = { "stack host (REST + QStash servers)": processCpuMs(process.pid) };
  if (stack.balancer) snapshot.balancer = processCpuMs(stack.balancer.pid);
  stack.workers.forEach((worker, i) => {
    for (const [program, ms] of Object.entries(treeCpuMs(worker.pid))) {
      const name = program === "workerd" ? `worker ${i + 1}: workerd` : `worker ${i + 1}: Miniflare (${program})`;
      snapshot[name] = (snapshot[name] ?? 0) + ms;
    }
  });
  snapshot["redis-server (edgeq)"] = processCpuMs(stack.redis.process.pid!);
  snapshot["redis-server (QStash)"] = processCpuMs(stack.qstashRedis.process.pid!);
  return snapshot;
}

const perUnit = (total: number, units: number) => Math.round((total / Math.max(1, units)) * 1000) / 1000;

async function measure(stack: Stack, probe: RedisProbe, pattern: Pattern): Promise<PatternCost> {
  const cpu0 = cpuSnapshot(stack);
  const commands0 = await probe.commands();
  const rest0 = stack.rest.stats().requests;
  const qstash0 = stack.qstash.stats().attempts;
  const started = performance.now();
  const spec = await pattern.load(stack, false);
  const result = "kind" in spec ? await runLoad(spec) : spec;
  const reads = pattern.tasks > 0 && pattern.settles !== false ? await untilDone(probe, result.ids, 120_000) : 0;
  const wallMs = performance.now() - started;
  const cpu1 = cpuSnapshot(stack);
  const delta = commandDelta(commands0, await probe.commands());
  const cpuMsPerRequest: Record<string, number> = { "load client": perUnit(result.cpuMs, result.requests) };
  const busy: Record<string, number> = { "load client": perUnit(result.cpuMs, result.wallMs) };
  for (const name of Object.keys(cpu1)) {
    cpuMsPerRequest[name] = perUnit(cpu1[name]! - (cpu0[name] ?? 0), result.requests);
    busy[name] = perUnit(cpu1[name]! - (cpu0[name] ?? 0), wallMs);
  }
  const tasks = pattern.tasks;
  const redisCommandsPerTask: Record<string, number> = {};
  // the bench's own completion polls (one HMGET a partition each) are not the workload's
  if (delta.byCommand.hmget !== undefined) delta.byCommand.hmget -= reads;
  for (const [name, calls] of Object.entries(delta.byCommand)) if (calls > 0) redisCommandsPerTask[name] = perUnit(calls, tasks);
  const allCommands = Object.values(delta.byCommand).reduce((a, b) => a + b, 0);
  return {
    pattern: pattern.name,
    requests: result.requests,
    tasks,
    wallMs: Math.round(wallMs),
    perSecond: Math.round(((tasks || result.requests) * 1000) / (tasks ? wallMs : result.wallMs)),
    cpuMsPerRequest,
    busy,
    cpuMsPerTask: tasks > 0 ? Object.fromEntries(Object.entries(cpuMsPerRequest).map(([k, v]) => [k, perUnit(v * result.requests, tasks)])) : null,
    redisCommandsPerTask: tasks > 0 ? { total: perUnit(allCommands, tasks), ...redisCommandsPerTask } : null,
    restRequestsPerRequest: perUnit(stack.rest.stats().requests - rest0, result.requests),
    qstashMessagesPerTask: tasks > 0 ? perUnit(stack.qstash.stats().attempts - qstash0, tasks) : null,
    profiles: {},
  };
}

async function profiled(stack: Stack, probe: RedisProbe, pattern: Pattern, bundle: (line: number) => string): Promise<Pick<PatternCost, "profiles" | "topLevelPerTask" | "byScript">> {
  const topLevel: Record<string, number> = {};
  const scripts = await scriptTally();
  // edgeq's own commands only: not this probe's completion polls; scripts' inner calls ("lua") by script
  const probeAddress = await probe.address();
  const stopMonitor = await startMonitor(stack.info.redisPort, (line) => {
    // MEMORY USAGE is the REST server's own record-size probe, not a command edgeq sends
    if (line.source === probeAddress || line.args[0]?.toUpperCase() === "MEMORY" || !line.args.some((arg) => arg.startsWith("edgeq:"))) return;
    scripts.add(line.source, line.args);
    if (line.source !== "lua") {
      const kind = describe(line.args);
      topLevel[kind] = (topLevel[kind] ?? 0) + 1;
    }
  });
  const v8 = !values["calls-only"];
  const stopHost = v8 ? await profileThisProcess() : null;
  const stopWorkers = v8 ? await Promise.all(stack.workers.map((worker) => profileWorker(worker.inspectorPort!))) : [];
  const spec = await pattern.load(stack, true);
  const result = "kind" in spec ? await runLoad(spec) : spec;
  if (pattern.tasks > 0 && pattern.settles !== false) await untilDone(probe, result.ids, 120_000);
  const profiles: Record<string, ProfileSummary> = stopHost ? { "stack host": summarize(await stopHost()) } : {};
  const workerProfiles: Profile[] = await Promise.all(stopWorkers.map((stop) => stop()));
  workerProfiles.forEach((profile, i) => (profiles[`worker ${i + 1}: workerd`] = summarize(profile, bundle)));
  stopMonitor();
  const topLevelPerTask = pattern.tasks > 0 ? Object.fromEntries(Object.entries(topLevel).map(([kind, n]) => [kind, perUnit(n, pattern.tasks)])) : undefined;
  return { profiles, ...(topLevelPerTask ? { topLevelPerTask, byScript: scripts.perUnit(pattern.tasks) } : {}) };
}

function patterns(token: string): Pattern[] {
  const single = quick ? 400 : 2_000;
  const bulk = quick ? 5_000 : 20_000;
  return [
    { key: "single", name: `single-task enqueues, 20 clients, ${single} tasks, until all succeeded`, tasks: single, load: (stack) => ({ kind: "enqueue", url: stack.info.workerUrl, spread: edge(stack), token, queue: benchQueueName("p-single"), tasks: single, clients: 20 }) },
    { key: "bulk", name: `bulk enqueues of 1,000 per request, ${bulk} tasks, until all succeeded`, tasks: bulk, load: (stack) => bulkLoad(stack, token, benchQueueName("p-bulk"), bulk) },
    // the same apart: the HTTP route alone (into a paused queue), then the batch path alone (resumed)
    { key: "bulk", name: `bulk enqueues of 1,000 per request into a paused queue, ${bulk} tasks (the HTTP route)`, tasks: bulk, settles: false, load: (stack) => bulkLoad(stack, token, (paused = benchQueueName("p-paused")), bulk, true) },
    { key: "bulk", name: `the same ${bulk} tasks drained once the queue is resumed (the batch path)`, tasks: bulk, load: (stack) => resumeDrain(stack, token, paused) },
    { key: "health", name: "GET /health, 20 clients", tasks: 0, load: (stack) => ({ kind: "get", url: stack.info.workerUrl, spread: edge(stack), path: "/health", seconds: quick ? 2 : 5, clients: 20 }) },
    { key: "wait", name: "enqueue → GET ?wait= result, one at a time", tasks: quick ? 30 : 200, load: (stack) => ({ kind: "wait", url: stack.info.workerUrl, token, queue: benchQueueName("p-wait"), tasks: quick ? 30 : 200 }) },
  ];
}

let paused = "";
const bulkIds = new Map<string, string[]>();

/** Requests of 1,000 tasks, four in flight, sent from this process (the batch path: the Worker's CPU is what is measured). */
async function bulkLoad(stack: Stack, token: string, queue: string, tasks: number, pause = false): Promise<LoadResult> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  if (pause) await fetch(`${stack.info.workerUrl}/v1/queues/${queue}/pause`, { method: "POST", headers }).then((r) => r.arrayBuffer());
  const ids: string[] = [];
  bulkIds.set(queue, ids);
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < tasks) {
      const from = next;
      next += 1_000;
      const body = JSON.stringify({ tasks: Array.from({ length: Math.min(1_000, tasks - from) }, (_, i) => ({ fn: "echo", input: taskInput(from + i) })) });
      const response = await fetch(`${stack.info.workerUrl}/v1/queues/${queue}/tasks`, { method: "POST", headers, body });
      if (!response.ok) throw new Error(`bulk enqueue answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      ids.push(...((await response.json()) as { ids: string[] }).ids);
    }
  }));
  return { ids, requests: Math.ceil(tasks / 1_000), wallMs: performance.now() - started, samplesMs: [], cpuMs: 0 };
}

/**
 * Resumes a paused queue and enqueues one more task, whose push starts the drain (a resume
 * publishes no push of its own: the backlog would wait for the cron). Two requests from this
 * process, so CPU per task is the drain's.
 */
async function resumeDrain(stack: Stack, token: string, queue: string): Promise<LoadResult> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const started = performance.now();
  const resumed = await fetch(`${stack.info.workerUrl}/v1/queues/${queue}/resume`, { method: "POST", headers });
  if (!resumed.ok) throw new Error(`resume answered ${resumed.status}`);
  await resumed.arrayBuffer();
  const kick = await fetch(`${stack.info.workerUrl}/v1/queues/${queue}/tasks`, { method: "POST", headers, body: JSON.stringify({ fn: "echo", input: taskInput(-1) }) });
  if (!kick.ok) throw new Error(`enqueue answered ${kick.status}`);
  const { id } = (await kick.json()) as { id: string };
  return { ids: [...(bulkIds.get(queue) ?? []), id], requests: 2, wallMs: performance.now() - started, samplesMs: [], cpuMs: 0 };
}

/** /health of a Worker that only answers: what the harness itself allows. */
async function bareCeiling(seconds: number): Promise<{ perSecond: number; cpuMsPerRequest: Record<string, number> }> {
  const dir = mkdtempSync(join(tmpdir(), "edgeq-bare-"));
  writeFileSync(join(dir, "index.js"), `export default { fetch() { return new Response('{"status":"ok"}', { headers: { "content-type": "application/json" } }); } };\n`);
  writeFileSync(join(dir, ".dev.vars"), "");
  const worker = await startWorkerProcess({ harness: "miniflare", bundleDir: dir, port: await freePort(), inspectorPort: await freePort(), envFile: join(dir, ".dev.vars"), persistTo: join(dir, "state"), quiet: true });
  try {
    const cpu0 = treeCpuMs(worker.pid);
    const result = await runLoad({ kind: "get", url: worker.url, path: "/health", seconds, clients: 20 });
    const cpu1 = treeCpuMs(worker.pid);
    const cpuMsPerRequest: Record<string, number> = { "load client": perUnit(result.cpuMs, result.requests) };
    for (const program of Object.keys(cpu1)) cpuMsPerRequest[program === "workerd" ? "workerd" : `Miniflare (${program})`] = perUnit(cpu1[program]! - (cpu0[program] ?? 0), result.requests);
    return { perSecond: Math.round((result.requests * 1000) / result.wallMs), cpuMsPerRequest };
  } finally {
    await worker.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

process.env.EDGEQ_WORKER_INSPECT = "1";
const load = loadavg().map((l) => l.toFixed(2)).join(" ");
const startedAt = new Date().toISOString();
const stack = await startStack({ workers: workerCount, cronEverySeconds: 0, quiet: true });
const probe = new RedisProbe(`redis://127.0.0.1:${stack.info.redisPort}`);
// the same sources build the same bundle the stack runs: its lines name the modules in workerd's profile
const bundleDir = mkdtempSync(join(tmpdir(), "edgeq-profile-bundle-"));
await buildBundle(bundleDir);
const bundle = bundleModules(join(bundleDir, "index.js"));
const costs: PatternCost[] = [];
try {
  const token = stack.info.apiToken;
  // warm-up: the first requests compile the Worker's code paths
  await runLoad({ kind: "wait", url: stack.info.workerUrl, token, queue: benchQueueName("p-warm"), tasks: 20 });
  const only = values.only?.split(",");
  for (const pattern of patterns(token).filter((p) => !only || only.includes(p.key))) {
    console.error(`profile: ${pattern.name}`);
    const cost = await measure(stack, probe, pattern);
    if (!values["no-profiles"]) Object.assign(cost, await profiled(stack, probe, pattern, bundle));
    costs.push(cost);
  }
} finally {
  await probe.close();
  await stack.stop();
  rmSync(bundleDir, { recursive: true, force: true });
}
const bare = await bareCeiling(quick ? 2 : 5);
const out: ProfileResults = { mode: quick ? "quick" : "full", startedAt, loadAverageAtStart: load, workers: workerCount, harnessCeiling: { pattern: "GET /health of a bare Worker (a fetch handler only) on the same harness, 20 clients", ...bare }, patterns: costs };
const path = fileURLToPath(new URL("results/profile.json", import.meta.url));
writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
for (const cost of costs) {
  console.log(`\n## ${cost.pattern}: ${cost.perSecond}/s`);
  console.log(`cpu ms/request ${JSON.stringify(cost.cpuMsPerRequest)}\nbusy ${JSON.stringify(cost.busy)}\ncommands/task ${JSON.stringify(cost.redisCommandsPerTask)} REST req/request ${cost.restRequestsPerRequest} QStash/task ${cost.qstashMessagesPerTask}`);
  if (cost.topLevelPerTask) console.log(`top-level per task ${JSON.stringify(cost.topLevelPerTask)}`);
  for (const [name, calls] of Object.entries(cost.byScript ?? {})) console.log(`  ${name}: ${calls.calls} calls/task, ${calls.innerPerTask} inner/task, per call ${JSON.stringify(calls.innerPerCall)}`);
  for (const [name, summary] of Object.entries(cost.profiles)) {
    console.log(`  ${name} busy ${summary.busyMs} ms: ${summary.modules.slice(0, 8).map((m) => `${m.module} ${m.ms}`).join(", ")}`);
    console.log(`    top fns: ${summary.functions.slice(0, 8).map((f) => `${f.fn} [${f.module}] ${f.ms}`).join(", ")}`);
  }
}
console.log(`\nbare harness ceiling: ${JSON.stringify(bare)}\nwritten: ${path} (load average at start ${load})`);
process.exit(0);
