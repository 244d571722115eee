/**
 * Scaling across databases (issue 13): throughput of enqueue → claim → complete over 1, 2 and 3
 * databases, each capped at the same Redis commands per second as an Upstash database is (the REST
 * server's cap counts the calls inside scripts, as Upstash bills them). The cap makes each database
 * the bottleneck, so adding databases should add throughput even on a 2-core machine. Queues are
 * placed by the Worker's own rendezvous hashing and every call goes through its routing TaskQueue
 * (src/runtime/sharded-tasks.ts). Target: ≥ 85% scaling efficiency from 1 to 3 databases.
 * Starts its own redis-servers and REST servers.
 *   node --import tsx bench/databases.ts [--databases 1,2,3] [--cap 800] [--seconds 10] [--queues 36] [--batch 20]
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Redis } from "@upstash/redis";
import { startRedisServer, type RedisServerHandle } from "../dev/redis-server";
import { startRestServer, type RestServer } from "../dev/rest-server/index";
import { createTaskQueue } from "../src/queue/index";
import type { TaskQueue } from "../src/queue/types";
import { queuePlacement, MAIN_DATABASE, type DatabaseConfig } from "../src/runtime/databases";
import { shardedTaskQueue } from "../src/runtime/sharded-tasks";
import { range, taskInput } from "./workload";

const { values } = parseArgs({
  options: {
    databases: { type: "string", default: "1,2,3" },
    cap: { type: "string", default: "800" },
    seconds: { type: "string", default: "10" },
    queues: { type: "string", default: "36" },
    batch: { type: "string", default: "20" },
    out: { type: "string", default: "bench/results/databases.json" },
  },
});
const CAP = Number(values.cap);
const SECONDS = Number(values.seconds);
const QUEUES = range(Number(values.queues)).map((i) => `scale-${i}`);
const BATCH = Number(values.batch);

interface Database {
  config: DatabaseConfig;
  redis: RedisServerHandle;
  rest: RestServer;
}

async function startDatabase(name: string): Promise<Database> {
  const redis = await startRedisServer();
  const token = `bench-${name}`;
  const rest = await startRestServer({ redisUrl: redis.url, token, maxCommandsPerSecond: CAP });
  return { config: { name, url: rest.url, token }, redis, rest };
}

/** One queue's loop until the deadline: enqueue a batch, claim it, complete it; returns tasks completed in the window. */
async function drive(tasks: TaskQueue, queue: string, startAt: number, endAt: number): Promise<number> {
  let done = 0;
  while (Date.now() < endAt) {
    await tasks.enqueue(queue, range(BATCH).map((n) => ({ fn: "echo", input: taskInput(n) })));
    const claimed = await tasks.claim(queue, BATCH);
    await tasks.complete(queue, claimed.map((task) => ({ id: task.id, leaseToken: task.leaseToken, result: null })));
    if (Date.now() >= startAt && Date.now() <= endAt) done += claimed.length;
  }
  return done;
}

async function run(count: number) {
  const databases = await Promise.all(range(count).map((i) => startDatabase(i === 0 ? MAIN_DATABASE : `db${i}`)));
  try {
    const configs = databases.map((database) => database.config);
    const placeOf = queuePlacement(configs, new Map());
    const each = configs.map((config) => ({
      name: config.name,
      tasks: createTaskQueue(new Redis({ url: config.url, token: config.token, responseEncoding: false, automaticDeserialization: false, enableTelemetry: false }), { prefix: "bench" }),
    }));
    const tasks = shardedTaskQueue(each, placeOf);
    const placed = Object.fromEntries(configs.map((config) => [config.name, QUEUES.filter((queue) => placeOf(queue) === config.name).length]));
    // One warm-up second (scripts loaded, the first windows spent), then the measured window.
    const startAt = Date.now() + 1_000;
    const endAt = startAt + SECONDS * 1_000;
    const done = (await Promise.all(QUEUES.map((queue) => drive(tasks, queue, startAt, endAt)))).reduce((a, b) => a + b, 0);
    return { databases: count, tasksPerSecond: Math.round(done / SECONDS), queuesPerDatabase: placed };
  } finally {
    for (const database of databases) {
      await database.rest.close();
      await database.redis.stop();
    }
  }
}

const results = [];
for (const count of values.databases!.split(",").map(Number)) {
  const result = await run(count);
  results.push(result);
  console.log(`${count} database(s), each capped at ${CAP} commands/s: ${result.tasksPerSecond} tasks/s (queues per database ${JSON.stringify(result.queuesPerDatabase)})`);
}
const one = results.find((r) => r.databases === 1);
const efficiency = Object.fromEntries(results.filter((r) => one && r.databases > 1).map((r) => [`1→${r.databases}`, Math.round((r.tasksPerSecond / (r.databases * one!.tasksPerSecond)) * 1000) / 1000]));
console.log(`scaling efficiency (target ≥ 0.85 from 1 to 3): ${JSON.stringify(efficiency)}`);
writeFileSync(values.out!, `${JSON.stringify({ at: new Date().toISOString(), capPerDatabase: CAP, seconds: SECONDS, queues: QUEUES.length, batch: BATCH, results, efficiency }, null, 2)}\n`);
