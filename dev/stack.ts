import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cron } from "croner";
import { freePort, startRedisServer, type RedisServerHandle } from "./redis-server";
import { startRestServer, type RestServer } from "./rest-server/index";
import { startQStashServer, type QStashServerHandle } from "./qstash/index";
import { buildBundle, startWorkerProcess, type WorkerHarness, type WorkerProcess } from "./worker-process";
import { spawnBalancer, type BalancerProcess } from "./balancer-process";
import { startRedisCluster } from "./redis-cluster";
import { databaseInfo, shardsSecret, startStackDatabase, type StackDatabase, type StackDatabaseInfo } from "./stack-databases";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));

/** What a tool needs to reach the local deployment; written to .edgeq/stack.json. */
export interface StackInfo {
  workerUrl: string;
  apiToken: string;
  redisRestUrl: string;
  redisRestToken: string;
  redisPort: number;
  qstashUrl: string;
  qstashToken: string;
  qstashCurrentSigningKey: string;
  qstashNextSigningKey: string;
  /** The QStash dev server's own redis-server: its state never shows in edgeq's Redis figures. */
  qstashRedisPort: number;
  /** With `cluster`: the port of every master (redisPort is the first). */
  redisClusterPorts?: number[];
  /** With `shards` > 1: the databases besides the main one (EDGEQ_REDIS_SHARDS). */
  redisShards?: StackDatabaseInfo[];
}

export interface StackOptions {
  /** Worker processes behind one URL (real parallelism on this machine). Default 1. */
  workers?: number;
  /**
   * Local stand-in for Cloudflare's cron trigger. Default: the crons of wrangler.toml.
   * A number fires every that many seconds instead (tests, demo); 0 disables it.
   */
  cronEverySeconds?: number;
  quiet?: boolean;
  redisAppendOnly?: boolean;
  /** How long a REST `timeout` fault holds a request before cutting it (chaos tests; default 10 s). */
  restFaultTimeoutMs?: number;
  /**
   * What runs the Worker processes: "miniflare" (default; the bundle `wrangler deploy` builds, on
   * Miniflare's API) or "wrangler" (`wrangler dev`). EDGEQ_HARNESS=wrangler picks it too.
   */
  harness?: WorkerHarness;
  /** Edgeq's Redis as a 3-master Redis Cluster (dev/redis-cluster.ts), the REST server routing by slot. */
  cluster?: boolean;
  /** Databases in all (default 1): the main one and `shards - 1` more, each with its REST server. */
  shards?: number;
  /**
   * The inline start (src/runtime/inline-start.ts), on by default as in production; false, or
   * EDGEQ_INLINE_START=off in this process's environment, gives the Workers EDGEQ_INLINE_START=off (the push path).
   */
  inlineStart?: boolean;
}

export interface Stack {
  info: StackInfo;
  redis: RedisServerHandle;
  /** The QStash dev server's redis-server, apart from edgeq's (as QStash is apart from Upstash Redis). */
  qstashRedis: RedisServerHandle;
  /** The REST server, for its fault switches and counters (chaos tests, benchmarks). */
  rest: RestServer;
  /** The QStash dev server, for its delivery fault switches and counters. */
  qstash: QStashServerHandle;
  /** The databases besides the main one (`shards` > 1), each with stop() to take it down. */
  shards: StackDatabase[];
  workers: WorkerProcess[];
  /** With several workers: the balancer in front of them, a process of its own (balancer-main.ts). */
  balancer?: BalancerProcess;
  /** Kills worker i as a crash would (SIGKILL) and starts it again on the same port. */
  restartWorker(index: number): Promise<void>;
  /**
   * Stops redis-server and starts it again on the same port and data directory, as an upgrade or a
   * host restart would. What survives depends on persistence: with `redisAppendOnly` every write
   * acknowledged before a SIGTERM survives; SIGKILL (a crash) may lose the last second under
   * appendfsync everysec.
   */
  restartRedis(signal?: "SIGTERM" | "SIGKILL", downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Hex: a base64url secret starts with "-" one time in 64, and `--token -…` is then not an argument. */
function secret(bytes = 24): string {
  return randomBytes(bytes).toString("hex");
}

function wranglerCrons(): string[] {
  const toml = readFileSync(join(projectRoot, "wrangler.toml"), "utf8");
  const match = /crons\s*=\s*\[([^\]]*)\]/.exec(toml);
  return match ? [...match[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [];
}

function startCron(everySeconds: number | undefined, target: () => WorkerProcess, quiet: boolean): () => void {
  const fire = (cron: string) => {
    const worker = target();
    fetch(`${worker.scheduledUrl}?cron=${encodeURIComponent(cron)}`).catch((error: Error) => {
      if (!quiet) process.stderr.write(`edgeq stack: cron trigger failed: ${error.message}\n`);
    });
  };
  if (everySeconds === 0) return () => {};
  if (everySeconds !== undefined) {
    const timer = setInterval(() => fire("* * * * *"), everySeconds * 1000);
    return () => clearInterval(timer);
  }
  const jobs = wranglerCrons().map((expression) => new Cron(expression, () => fire(expression)));
  return () => jobs.forEach((job) => job.stop());
}

/**
 * Starts redis-server, the REST server, the QStash dev server on a redis-server of its own, and
 * the Worker processes, on free ports.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    // The data directory outlives one redis-server process, so that restartRedis finds its AOF.
    const redisDir = mkdtempSync(join(tmpdir(), "edgeq-redis-"));
    cleanups.push(() => rmSync(redisDir, { recursive: true, force: true }));
    const cluster = options.cluster ? await startRedisCluster() : undefined;
    let redis = cluster ? cluster.nodes[0]! : await startRedisServer({ appendOnly: options.redisAppendOnly, dir: redisDir });
    cleanups.push(() => (cluster ? cluster.stop() : redis.stop()));
    const redisRestToken = secret();
    const rest = await startRestServer({
      redisUrl: redis.url,
      cluster: Boolean(cluster),
      token: redisRestToken,
      port: await freePort(),
      faultTimeoutMs: options.restFaultTimeoutMs,
    });
    cleanups.push(() => rest.close());
    const shards: StackDatabase[] = [];
    for (let i = 1; i < (options.shards ?? 1); i++) {
      shards.push(await startStackDatabase(`db${i}`, { appendOnly: options.redisAppendOnly, faultTimeoutMs: options.restFaultTimeoutMs }));
      cleanups.push(() => shards[i - 1]!.stop());
    }
    // QStash keeps its messages apart from the user's database; so does the dev server, so that any
    // Redis figure taken on the stack (commands per task, memory) is edgeq's own, as on Upstash.
    const qstashRedis = await startRedisServer({ appendOnly: options.redisAppendOnly });
    cleanups.push(() => qstashRedis.stop());
    const qstashToken = secret();
    const qstashCurrentSigningKey = `sig_${secret()}`;
    const qstashNextSigningKey = `sig_${secret()}`;
    const qstash = await startQStashServer({
      redisUrl: qstashRedis.url,
      token: qstashToken,
      currentSigningKey: qstashCurrentSigningKey,
      nextSigningKey: qstashNextSigningKey,
      port: await freePort(),
    });
    cleanups.push(() => qstash.close());

    const workerCount = Math.max(1, options.workers ?? 1);
    const balancerPort = workerCount > 1 ? await freePort() : 0;
    const workerPorts = await Promise.all(Array.from({ length: workerCount }, () => freePort()));
    const workerUrl = workerCount > 1 ? `http://127.0.0.1:${balancerPort}` : `http://127.0.0.1:${workerPorts[0]}`;
    const apiToken = secret();

    const stateDir = mkdtempSync(join(tmpdir(), "edgeq-stack-"));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const envFile = join(stateDir, ".dev.vars");
    writeFileSync(
      envFile,
      [
        `EDGEQ_PUBLIC_URL=${workerUrl}`,
        `EDGEQ_TOKENS=${apiToken}:admin`,
        `UPSTASH_REDIS_REST_URL=${rest.url}`,
        `UPSTASH_REDIS_REST_TOKEN=${redisRestToken}`,
        ...(shards.length > 0 ? [`EDGEQ_REDIS_SHARDS=${shardsSecret(shards)}`] : []),
        ...((options.inlineStart ?? process.env.EDGEQ_INLINE_START !== "off") ? [] : ["EDGEQ_INLINE_START=off"]),
        `QSTASH_URL=${qstash.url}`,
        `QSTASH_TOKEN=${qstashToken}`,
        `QSTASH_CURRENT_SIGNING_KEY=${qstashCurrentSigningKey}`,
        `QSTASH_NEXT_SIGNING_KEY=${qstashNextSigningKey}`,
        "",
      ].join("\n"),
    );

    const quiet = options.quiet ?? false;
    const harness = options.harness ?? (process.env.EDGEQ_HARNESS === "wrangler" ? "wrangler" : "miniflare");
    const bundleDir = join(stateDir, "bundle");
    if (harness === "miniflare") await buildBundle(bundleDir);
    const launch = async (index: number) =>
      startWorkerProcess({
        harness,
        bundleDir,
        port: workerPorts[index]!,
        inspectorPort: await freePort(),
        envFile,
        // One state directory for every worker process: they share the local R2 bucket (BLOBS), as
        // invocations in production share the real one.
        persistTo: join(stateDir, "wrangler"),
        quiet,
      });
    // One after another: two workerd processes opening the shared R2 state at once may die on
    // "SQLITE_BUSY: database is locked" (seen with --workers 2 on a loaded machine).
    const workers: WorkerProcess[] = [];
    for (const index of workerPorts.keys()) workers.push(await launch(index));
    cleanups.push(() => Promise.all(workers.map((worker) => worker.kill())).then(() => {}));

    let balancer: BalancerProcess | undefined;
    if (workerCount > 1) {
      // in a process of its own, as the edge is apart from the REST and QStash servers in production
      balancer = await spawnBalancer(balancerPort, workers.map((w) => w.url));
      cleanups.push(() => balancer!.close());
    }
    let cronTurn = 0;
    const stopCron = startCron(options.cronEverySeconds, () => workers[cronTurn++ % workers.length]!, quiet);
    cleanups.push(stopCron);

    const info: StackInfo = {
      workerUrl,
      apiToken,
      redisRestUrl: rest.url,
      redisRestToken,
      redisPort: redis.port,
      qstashUrl: qstash.url,
      qstashToken,
      qstashCurrentSigningKey,
      qstashNextSigningKey,
      qstashRedisPort: qstashRedis.port,
      ...(cluster ? { redisClusterPorts: cluster.nodes.map((node) => node.port) } : {}),
      ...(shards.length > 0 ? { redisShards: shards.map(databaseInfo) } : {}),
    };
    return {
      info,
      get redis() {
        return redis;
      },
      qstashRedis,
      rest,
      qstash,
      shards,
      workers,
      ...(balancer ? { balancer } : {}),
      async restartWorker(index) {
        await workers[index]!.kill("SIGKILL");
        workers[index] = await launch(index);
      },
      async restartRedis(signal = "SIGTERM", downMs = 0) {
        if (cluster) throw new Error("restartRedis restarts one redis-server; the stack runs a cluster");
        const { port } = redis;
        if (signal === "SIGKILL") redis.process.kill("SIGKILL");
        await redis.stop();
        if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
        redis = await startRedisServer({ appendOnly: options.redisAppendOnly, dir: redisDir, port });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Writes .edgeq/stack.json (git-ignored) for the CLI, the benchmarks and the end-to-end tests. */
export function writeStackInfo(info: StackInfo, path = join(projectRoot, ".edgeq", "stack.json")): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  return path;
}
