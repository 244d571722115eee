/**
 * Cost of the queue core per task at batch 100: Redis commands (INFO commandstats deltas, so the
 * calls inside scripts count), REST requests, and Redis memory per queued task with an 80-byte input.
 * Starts its own redis-server and REST server.  Run: node --import tsx bench/queue-cost.ts
 */
import { Redis } from "@upstash/redis";
import IORedis from "ioredis";
import { startRedisServer } from "../dev/redis-server";
import { startRestServer } from "../dev/rest-server/index";
import { claimReruns } from "../src/queue/claim-hints";
import { createTaskQueue } from "../src/queue/index";
import type { TaskQueue } from "../src/queue/types";

const BATCH = 100;
const LIFECYCLE_TASKS = 20_000;
const MEMORY_TASKS = 100_000;
const INPUT = "x".repeat(78); // JSON.stringify gives 80 bytes

/** Calls of every command but INFO (script-inner calls included), and microseconds spent in scripts and HMGET. */
async function commandStats(direct: IORedis): Promise<{ calls: number; usec: number }> {
  const info = await direct.info("commandstats");
  let calls = 0;
  let usec = 0;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    // the REST server's own record-size probes (MEMORY USAGE) and COMMAND at its start are not edgeq's
    // (Redis 7 names subcommands "memory|usage")
    if (["info", "memory", "command"].includes(match[1]!.split("|")[0]!)) continue;
    calls += Number(match[2]);
    if (["evalsha", "eval", "hmget"].includes(match[1]!)) usec += Number(match[3]);
  }
  return { calls, usec };
}

async function usedMemory(direct: IORedis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await direct.info("memory"))![1]);
}

interface Meter {
  measure<T>(label: string, tasks: number, work: () => Promise<T>): Promise<T>;
}

function meter(direct: IORedis, requests: () => number, rows: string[][]): Meter {
  return {
    async measure(label, tasks, work) {
      const [c0, r0] = [await commandStats(direct), requests()];
      const result = await work();
      const [c1, r1] = [await commandStats(direct), requests()];
      // inner HMGETs count in EVALSHA's time too: µs/task is an upper bound of Redis time
      rows.push([label, ((c1.calls - c0.calls) / tasks).toFixed(3), ((r1 - r0) / tasks).toFixed(4), ((c1.usec - c0.usec) / tasks).toFixed(2)]);
      return result;
    },
  };
}

async function enqueueAll(queue: TaskQueue, name: string, total: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < total; i += BATCH) {
    const tasks = Array.from({ length: Math.min(BATCH, total - i) }, () => ({ fn: "echo", input: INPUT }));
    ids.push(...(await queue.enqueue(name, tasks)).map((r) => r.id));
  }
  return ids;
}

async function main() {
  const server = await startRedisServer();
  const rest = await startRestServer({ redisUrl: server.url, token: "bench" });
  const direct = new IORedis(server.port, "127.0.0.1");
  let requests = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).startsWith(rest.url)) requests++;
    return realFetch(input, init);
  };
  try {
    const redis = new Redis({ url: rest.url, token: "bench", automaticDeserialization: false, responseEncoding: false, enableTelemetry: false });
    let clock = Date.now();
    const queue = createTaskQueue(redis, { prefix: "bench", now: () => clock });
    const rows: string[][] = [];
    const m = meter(direct, () => requests, rows);

    // lifecycle with separate claim and complete calls
    const ids = await m.measure("enqueue", LIFECYCLE_TASKS, () => enqueueAll(queue, "sep", LIFECYCLE_TASKS));
    await m.measure("claim", LIFECYCLE_TASKS, async () => {
      const all = [];
      for (let c = await queue.claim("sep", BATCH); c.length > 0; c = await queue.claim("sep", BATCH)) all.push(c);
      return all;
    }).then((batches) =>
      m.measure("complete", LIFECYCLE_TASKS, async () => {
        for (const batch of batches) await queue.complete("sep", batch.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: t.input })));
      }),
    );
    await m.measure("get (getMany of 100)", LIFECYCLE_TASKS, async () => {
      for (let i = 0; i < ids.length; i += BATCH) await queue.getMany(ids.slice(i, i + BATCH));
    });

    // lifecycle as a drain loop: one settleAndClaim per batch
    const ids2 = await enqueueAll(queue, "loop", LIFECYCLE_TASKS);
    const reruns0 = claimReruns();
    await m.measure("settleAndClaim loop (claim+complete)", LIFECYCLE_TASKS, async () => {
      let claimed = await queue.claim("loop", BATCH);
      while (claimed.length > 0) {
        const completions = claimed.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: t.input }));
        claimed = (await queue.settleAndClaim("loop", { completions, failures: [] }, BATCH)).claimed;
      }
    });
    void ids2;
    // a claim that stopped at a partition its call lacked runs again at once (tasks.ts): each one is a script call
    const reruns = claimReruns() - reruns0;
    clock += 25 * 3_600_000; // past leases and the result TTL
    await m.measure("upkeep (reclaim check + expiry), amortized", LIFECYCLE_TASKS * 2, async () => {
      for (const name of ["sep", "loop"]) while ((await queue.upkeep(name, 5_000)).more);
    });

    const before = await usedMemory(direct);
    await enqueueAll(queue, "memory", MEMORY_TASKS);
    const after = await usedMemory(direct);

    const sum = (labels: string[]) => labels.reduce((s, l) => s + Number(rows.find((r) => r[0] === l)![1]), 0);
    const sumReq = (labels: string[]) => labels.reduce((s, l) => s + Number(rows.find((r) => r[0] === l)![2]), 0);
    const sep = ["enqueue", "claim", "complete", "get (getMany of 100)"];
    const loop = ["enqueue", "settleAndClaim loop (claim+complete)", "get (getMany of 100)"];
    console.log(`edgeq queue cost at batch ${BATCH} (${LIFECYCLE_TASKS} tasks per lifecycle, redis ${server.url})`);
    console.log(["step", "commands/task", "REST requests/task", "Redis µs/task"].join("\t"));
    for (const row of rows) console.log(row.join("\t"));
    console.log(`lifecycle enqueue+claim+complete+get, separate calls:\t${sum(sep).toFixed(3)}\t${sumReq(sep).toFixed(4)}`);
    console.log(`lifecycle enqueue+settleAndClaim+get:\t${sum(loop).toFixed(3)}\t${sumReq(loop).toFixed(4)}`);
    console.log(`claims run again at once in the settleAndClaim loop: ${reruns} in ${LIFECYCLE_TASKS / BATCH} batches`);
    console.log(`memory per queued task (80-byte input, ${MEMORY_TASKS} tasks): ${((after - before) / MEMORY_TASKS).toFixed(1)} bytes`);
  } finally {
    globalThis.fetch = realFetch;
    direct.disconnect();
    await rest.close();
    await server.stop();
  }
}

await main();
