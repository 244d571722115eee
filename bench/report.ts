/** Turns a run's results into the printed table, bench/results/latest.json and bench/BENCHMARKS.md. */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { drainBound } from "./bounds";
import { headline, type BenchResults } from "./run-results";
import { generatedSections } from "./summary";
import type { ThroughputResult } from "./workload";

const BENCH = fileURLToPath(new URL(".", import.meta.url));

const RATIO_NAMES: Record<string, string> = {
  drainBatch100VsBullmq: "drain rate, edgeq / BullMQ",
  overallBatch100VsBullmq: "enqueue + drain rate, edgeq / BullMQ",
  drainBatch100VsRedisLimit: "edgeq drain rate / redis-benchmark limit",
  bullmqDrainVsRedisLimit: "BullMQ drain rate / redis-benchmark limit",
  commandsBullmqOverEdgeq: "Redis commands per task, BullMQ / edgeq",
  cpuPerTaskBullmqOverEdgeq: "CPU per drained task (all processes), BullMQ / edgeq",
  memoryBullmqOverEdgeq: "memory per queued task, BullMQ / edgeq",
  claimServerLargeOverSmall: "claim script time, large / small depth",
  claimClientLargeOverSmall: "claim round trip, large / small depth",
};

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const fixed = (n: number | null | undefined, digits: number) => (n === null || n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits));
const busy = (share: number) => (Number.isNaN(share) ? "?" : `${Math.round(share * 100)}%`);

function throughputRow(run: ThroughputResult): string[] {
  const requests = run.enqueue.requests === null ? "– (TCP)" : fixed((run.enqueue.requests ?? 0) + (run.drain.requests ?? 0), 4);
  return [
    run.system === "edgeq" ? "edgeq (REST)" : "BullMQ (TCP)",
    String(run.batch),
    run.system === "edgeq" ? `${run.loops} loop${run.loops > 1 ? "s" : ""}${run.separateSettle ? ", claim and complete apart" : ""}` : `concurrency ${run.loops}`,
    int(run.tasks),
    int(run.enqueuePerSecond),
    `**${int(run.drainPerSecond)}**${run.drainRounds && run.drainRounds.length > 1 ? ` (rounds: ${run.drainRounds.map(int).join(", ")})` : ""}`,
    int(run.overallPerSecond),
    fixed(run.enqueue.commands + run.drain.commands, 3),
    requests,
    `${fixed(run.cpu.client, 0)} / ${fixed(run.cpu.rest, 0)} / ${fixed(run.cpu.redis, 0)} (${busy(run.cpu.clientBusy)} / ${busy(run.cpu.restBusy)} / ${busy(run.cpu.redisBusy)})`,
  ];
}

export function renderTables(results: BenchResults): string {
  const parts: string[] = [];
  const runs = [...results.edgeq, ...(results.bullmq ? [results.bullmq] : [])];
  parts.push(`### Throughput of no-op tasks (${results.mode} mode)\n`);
  parts.push(
    table(
      ["system", "batch", "workers", "tasks", "enqueue/s", "drain/s", "overall/s", "cmds/task", "REST req/task", "CPU ms per 1k tasks: client / REST server / redis (busy)"],
      runs.map(throughputRow),
    ),
  );
  if (results.limit) {
    const l = results.limit;
    parts.push(
      `\nredis-benchmark limit (-P ${l.pipeline}, ${int(l.requests)} requests): LPUSH ${int(l.lpushPerSecond)}/s, RPOP ${int(l.rpopPerSecond)}/s → **${int(l.tasksPerSecond)} tasks/s** (one push + one pop per task).`,
    );
  }
  if (results.restFloor.length > 0) {
    parts.push(`\nREST transport ceiling (PING through @upstash/redis and the REST server): ${results.restFloor
      .map((f) => `${f.loops} loop${f.loops > 1 ? "s" : ""} ${int(f.requestsPerSecond)} req/s, CPU ms per 1k requests client/REST/redis ${fixed(f.cpu.client, 0)}/${fixed(f.cpu.rest, 0)}/${fixed(f.cpu.redis, 0)} (${busy(f.cpu.clientBusy)}/${busy(f.cpu.restBusy)}/${busy(f.cpu.redisBusy)} busy)`)
      .join("; ")}.`);
  }
  parts.push(renderBounds(results));
  const read = (run: ThroughputResult | null | undefined) => fixed(run?.read?.commands, 3);
  const best = headline(results);
  parts.push(`\n### Cost per task over the lifecycle (batch 100${best ? `, ${best.loops} loop${best.loops > 1 ? "s" : ""}` : ""})\n`);
  parts.push(
    table(
      ["system", "enqueue cmds", "claim+complete cmds", "result read cmds", "REST req (enqueue+drain)", "REST req (read)", `bytes per queued task (${results.memory.inputBytes}-byte input, ${int(results.memory.tasks)} tasks)`],
      [
        ["edgeq", fixed(best?.enqueue.commands, 3), fixed(best?.drain.commands, 3), read(best), fixed(best ? (best.enqueue.requests ?? 0) + (best.drain.requests ?? 0) : null, 4), fixed(best?.read?.requests, 4), fixed(results.memory.edgeq, 0)],
        ["BullMQ", fixed(results.bullmq?.enqueue.commands, 2), fixed(results.bullmq?.drain.commands, 2), read(results.bullmq), "– (TCP)", "– (TCP)", fixed(results.memory.bullmq, 0)],
      ],
    ),
  );
  if (results.claimCost) {
    const { small, large } = results.claimCost;
    parts.push(`\n### Claim cost of a batch of 100 against queue depth\n`);
    parts.push(
      table(
        ["queued", "samples", "client p50 ms", "client p99 ms", "script p50 µs (redis-server)", "fill time s"],
        [small, large].map((c) => [int(c.depth), String(c.samples), fixed(c.clientP50Ms, 2), fixed(c.clientP99Ms, 2), fixed(c.serverP50Us, 0), fixed(c.fillSeconds, 1)]),
      ),
    );
  }
  parts.push(`\n### Full system\n`);
  const latency = results.pushLatency;
  const e2e = results.endToEnd;
  parts.push(
    table(
      ["measure", "figure", "how"],
      [
        ["push-path latency enqueue → result", latency ? `p50 ${fixed(latency.p50Ms, 1)} ms, p99 ${fixed(latency.p99Ms, 1)} ms (max ${fixed(latency.maxMs, 1)}); enqueue request p50 ${fixed(latency.enqueueP50Ms, 1)} ms; recorded p50 ${fixed(latency.recordedP50Ms, 1)} ms (of which ${fixed(latency.recordedWaitP50Ms, 1)} ms until claimed), p99 ${fixed(latency.recordedP99Ms, 1)} ms` : "not measured", latency ? `${latency.tasks} tasks, ${latency.path}` : "–"],
        ["QStash dev server hop alone (publish → delivery to a bare Node receiver)", results.qstashHop ? `p50 ${fixed(results.qstashHop.p50Ms, 1)} ms, p99 ${fixed(results.qstashHop.p99Ms, 1)} ms` : "not measured", results.qstashHop ? `${results.qstashHop.tasks} messages, one at a time, @upstash/qstash Client` : "–"],
        ["end-to-end tasks/s over HTTP", e2e ? `${int(e2e.tasksPerSecond)} tasks/s` : "not measured", e2e ? `${int(e2e.tasks)} tasks, ${e2e.workers} worker process(es), ${e2e.path}` : "–"],
      ],
    ),
  );
  parts.push(`\n### Ratios (edgeq at batch 100 with several loops)\n`);
  parts.push(table(["ratio", "value"], Object.entries(results.ratios).map(([name, value]) => [RATIO_NAMES[name] ?? name, value === null ? "not measured" : `${value.toPrecision(3)}×`])));
  parts.push(`\n### Targets\n`);
  parts.push(table(["target", "measured", "met"], results.targets.map((t) => [t.target, t.measured, t.met === null ? "not measured" : t.met ? "yes" : "**no**"])));
  if (results.notMeasured.length > 0) {
    parts.push(`\nNot measured in this run:\n`);
    parts.push(results.notMeasured.map((n) => `- ${n.section}: ${n.reason}`).join("\n"));
  }
  return parts.join("\n");
}

function setup(results: BenchResults): string {
  const m = results.machine;
  const v = results.versions;
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}; load average ${m.loadAverage} at start; Node ${m.node}; Redis ${v.redis}; @upstash/redis ${v["@upstash/redis"]}; BullMQ ${v.bullmq ?? "–"}; edgeq ${v.edgeq}`;
}

export function writeResults(results: BenchResults): { json: string; markdown: string } {
  mkdirSync(`${BENCH}/results`, { recursive: true });
  const json = `${BENCH}results/latest.json`;
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  const markdown = `${BENCH}BENCHMARKS.md`;
  writeFileSync(markdown, `${markdownPage(results)}\n${generatedSections()}`);
  return { json, markdown };
}

function markdownPage(results: BenchResults): string {
  return `# edgeq benchmarks

Generated by \`npm run bench${results.mode === "quick" ? " -- --quick" : ""}\` on ${results.startedAt.slice(0, 10)} (${Math.round(results.seconds)} s); machine-readable figures in [results/latest.json](results/latest.json).

Machine: ${setup(results)}.

${renderTables(results)}

## How it is measured

- Everything runs side by side in one run on one private redis-server (FLUSHALL and CONFIG RESETSTAT before each workload).
- **edgeq** goes through the Upstash REST protocol: the real \`@upstash/redis\` client (\`responseEncoding: false\`, \`automaticDeserialization: false\`) against the project's Upstash-compatible REST server (dev/rest-server), which runs in a process of its own. Tasks are enqueued in batches of *batch*, then drained by *workers* concurrent loops, each with its own client, that complete a batch and claim the next in one request (\`settleAndClaim\`). Tasks are no-ops with an 80-byte JSON input.
- **BullMQ** (the peer, installed on demand into bench/.peer, never into the project) talks to the same redis-server over TCP: \`addBulk\` in chunks of 100, one Worker at concurrency 100, results read with \`getJob\`.
- **The limit** is \`redis-benchmark -t lpush,rpop -P 16\` on the same server: no Redis queue drains faster than one push plus one pop per task.
- **Commands per task** come from INFO commandstats, which counts the calls inside Lua scripts as well as the EVALSHA around them (Upstash bills both); the probe's own INFO/CONFIG calls are left out. **REST requests** are counted by wrapping \`fetch\` in the benchmark process. **Memory** is the used_memory delta (after MEMORY PURGE) over the queued tasks, divided by their number.
- **CPU** columns: CPU milliseconds per 1,000 drained tasks in the benchmark client, the REST server and redis-server, and how busy each was over the drain (100% = one core); on a 2-core machine the three share two cores.
- **Claim cost**: one claim of 100 at a steady depth (the claimed tasks are completed and replaced, untimed, between samples), the two depths filled first and then sampled in alternation so that the machine's load weighs on both alike; the target is judged on the script time redis-server reports, the client round trip is shown beside it.
- **Rounds**: the full run repeats the throughput runs three times, edgeq and BullMQ interleaved so both meet the same machine, and reports each configuration's median round (the other rounds' drain rates in brackets); the quick run does one round.
- **Push path** (dev/stack.ts: redis-server, REST server, QStash dev server and the Worker (workerd through Miniflare's API), with the cron stand-in slowed to once an hour so that only pushes act): one task at a time is enqueued over HTTP and its result watched in Redis every millisecond over TCP (cheaper for this small machine than polling through REST), not with \`?wait=\` (which \`--only system\` measures as a client sees it). "Recorded" is the task's own finishedAt − createdAt, and "until claimed" its startedAt − createdAt. The QStash hop is the dev server alone delivering to a bare Node receiver.
- **End to end**: a burst of tasks enqueued over HTTP in batches of 100 and drained by QStash pushes alone, timed from the first enqueue until the queue counts them all succeeded.
- **Targets** are judged on the headline configuration (batch 100, several loops). Per-task figures are judged at the precision the target is written with plus one digit (0.0202 requests per task counts as 0.020: the extra 0.0002 is each loop's last, empty claim).
- Rates move with other work on the machine (the load average is printed above); CPU per task, commands, requests and bytes per task, and ratios taken within one run move much less.

## Reproduce

\`\`\`
npm run bench              # full run: 1M-task claim test, 100k-task throughput runs (several minutes)
npm run bench -- --quick   # under a minute; claim cost at 100k instead of 1M, smaller runs
npm run bench -- --workers 2   # the full system with two Worker processes behind one URL
\`\`\`

A benchmark never fails a build: it is not part of \`npm test\`, and a section that cannot run is reported as not measured.
`;
}

const k = (n: number) => `${(n / 1000).toFixed(1)}k`;

/** What bounds the drain, from the run's own CPU figures (see bounds.ts). */
function renderBounds(results: BenchResults): string {
  const lines: string[] = [];
  const cpus = results.machine.cpus;
  for (const run of results.edgeq.filter((r) => r.batch >= 100 && r.loops > 1 && !r.separateSettle)) {
    const b = drainBound(run, cpus);
    if (!Number.isFinite(b.redisCap)) continue;
    lines.push(
      `- batch ${b.batch}, ${b.loops} loops: a drained task costs ${b.clientUs.toFixed(0)} µs of client CPU, ${b.restUs.toFixed(0)} µs in the REST server and ${b.redisUs.toFixed(0)} µs in redis-server. ` +
        `The scripts alone cap the drain at ${k(b.redisCap)}/s (one Redis thread); the three processes at ${k(b.machineCap)}/s on ${cpus} cores. ` +
        `Bound: ${b.bound}. Measured ${k(b.measured)}/s with redis-server ${Math.round(run.cpu.redisBusy * 100)}% busy${run.cpu.redisBusy < 0.8 ? `: below both caps, the rest is waiting — round trips in flight and other work on the machine (load average ${results.machine.loadAverage} at start)` : ""}.`,
    );
  }
  const small = results.edgeq.find((r) => r.batch === 1 && r.loops > 1);
  const ping = results.restFloor.find((f) => f.loops > 1);
  if (small && ping) {
    lines.push(
      `- batch 1: every task is two requests; a request costs ${ping.cpu.client.toFixed(0)} µs of client CPU and ${ping.cpu.rest.toFixed(0)} µs in the REST server even for a PING (${Math.round(ping.requestsPerSecond)} req/s with ${ping.loops} loops), ` +
        `so small batches are bound by per-request CPU in @upstash/redis/fetch and the REST server; redis-server spends ${small.cpu.redis.toFixed(0)} µs per task there, mostly the fixed cost of starting a script (two script calls per task).`,
    );
  }
  return lines.length > 0 ? `\n### What bounds the drain (from this run's CPU figures)\n\n${lines.join("\n")}` : "";
}
