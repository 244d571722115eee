/**
 * Claim cost against depth, A/B across trees: the claim of a batch of 100 with 1,000 and with
 * 1,000,000 queued, for this tree and another (`--against DIR`: e.g. `git archive <commit> | tar -x
 * -C DIR`, node_modules linked), on one redis-server, every tree and depth interleaved sample by
 * sample (the order reversed every other sample). The main bench's claim row samples one tree's two
 * depths in alternation, but the same code read 1.11× one day and 1.21× another on this machine:
 * interleaving two trees tells what a change did from what the machine did.
 *
 * Run: node --import tsx bench/claim-depth-ab.ts --against DIR [--large 1000000] [--samples 200]
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { Redis } from "@upstash/redis";
import type { TaskQueue } from "../src/queue/types";
import { CLAIM_BATCH, fillQueue } from "./claim-cost";
import { benchQueueName, noopTasks } from "./edgeq-workload";
import { commandDelta, RedisProbe } from "./redis-probe";
import { startBenchServers, type BenchServers } from "./servers";
import { percentile } from "./workload";

const args = parseArgs({ options: { against: { type: "string" }, large: { type: "string", default: "1000000" }, samples: { type: "string", default: "200" } } }).values;
const DEPTHS = [1000, Number(args.large)];
const SAMPLES = Number(args.samples);
const FILL_CLIENTS = 4;

interface Arm {
  label: string;
  queue: TaskQueue;
  name: string;
  depth: number;
  micros: number[];
}

async function arms(servers: BenchServers): Promise<Arm[]> {
  const client = () => new Redis({ url: servers.restUrl, token: servers.restToken, responseEncoding: false, automaticDeserialization: false, enableTelemetry: false });
  const out: Arm[] = [];
  for (const tree of [...(args.against ? [resolve(args.against)] : []), "this tree"]) {
    const core = (await import(tree === "this tree" ? "../src/queue/index" : `${tree}/src/queue/index.ts`)) as typeof import("../src/queue/index");
    for (const depth of DEPTHS) {
      const queues = Array.from({ length: FILL_CLIENTS }, () => core.createTaskQueue(client()));
      const name = benchQueueName(`depth${depth}`);
      const seconds = await fillQueue(queues, name, depth, noopTasks);
      console.log(`${tree}: ${depth} queued in ${seconds.toFixed(1)} s`);
      out.push({ label: tree, queue: queues[0]!, name, depth, micros: [] });
    }
  }
  return out;
}

/** One claim timed by redis-server (script µs), then completed and replaced so the depth holds. */
async function sample(probe: RedisProbe, arm: Arm, s: number): Promise<void> {
  const before = await probe.commands();
  const claimed = await arm.queue.claim(arm.name, CLAIM_BATCH);
  const delta = commandDelta(before, await probe.commands());
  arm.micros.push((delta.usecByCommand.evalsha ?? 0) + (delta.usecByCommand.eval ?? 0));
  await arm.queue.complete(arm.name, claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: null })));
  await arm.queue.enqueue(arm.name, noopTasks(CLAIM_BATCH, arm.depth + s * CLAIM_BATCH));
}

const servers = await startBenchServers();
const probe = new RedisProbe(servers.redisUrl);
try {
  const list = await arms(servers);
  for (let s = 0; s < SAMPLES; s++) for (const arm of s % 2 === 0 ? list : [...list].reverse()) await sample(probe, arm, s);
  const p50 = (arm: Arm) => percentile([...arm.micros].sort((a, b) => a - b), 50);
  console.log(`\ntree\tclaim of ${CLAIM_BATCH}, script p50 µs at ${DEPTHS.join(" / ")} queued\tlarge / small`);
  for (let i = 0; i < list.length; i += DEPTHS.length) {
    const [small, large] = [list[i]!, list[i + 1]!];
    console.log(`${small.label}\t${p50(small).toFixed(0)} / ${p50(large).toFixed(0)}\t${(p50(large) / p50(small)).toFixed(3)}×`);
  }
} finally {
  await probe.close();
  await servers.stop();
}
process.exit(0);
