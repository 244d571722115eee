/**
 * An Upstash-compatible REST server over a real redis-server, for the local stack and the tests:
 * the real @upstash/redis client talks to it unchanged.
 */
import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";
import type { AddressInfo, Socket } from "node:net";
import { tokenChecker } from "./auth";
import { emptyStats, type FaultInjector, type PlannedFault, type RestServerStats } from "./faults";
import { createRequestHandler } from "./http";
import { DEFAULT_MAX_BODY_BYTES } from "./limits";
import { ClusterPool } from "./cluster-pool";
import { RedisPool, type CommandRunner } from "./pool";
import { CommandRateLimit } from "./command-rate";
import { RecordSizeLimit, UPSTASH_MAX_RECORD_BYTES } from "./record-size";
import { ScriptFlags } from "./script-flags";
import { SubscriptionHub } from "./subscription-hub";

export interface RestServerOptions {
  /** redis://host:port of the redis-server to forward to (with `cluster`, any node of the cluster). */
  redisUrl: string;
  /**
   * A Redis Cluster behind `redisUrl` (dev/redis-cluster.ts): requests are routed by slot and keys
   * that span slots are refused with CROSSSLOT (cluster-pool.ts). Upstash has no cluster, so its
   * per-database commands-per-second cap has no meaning here and cannot be combined with this.
   */
  cluster?: boolean;
  /** The bearer token clients must present (UPSTASH_REDIS_REST_TOKEN). */
  token: string;
  /** 0 or absent: a free port chosen by the kernel. */
  port?: number;
  /** Loopback unless told otherwise: this is a development server. */
  host?: string;
  maxBodyBytes?: number;
  /** Redis connections shared round robin by requests. */
  poolSize?: number;
  /** Chaos tests: inject faults from the start (see faults.ts); `setFaults` changes it later. */
  faults?: FaultInjector;
  /** How long a `timeout` fault holds a request before cutting its connection (default 10 s). */
  faultTimeoutMs?: number;
  /** Upstash's record-size limit (record-size.ts): default 100 MB, as on the Free and Pay-as-you-go plans. */
  maxRecordBytes?: number;
  /** How often keys written are measured against it (default 1,000 ms). */
  recordSizeCheckMs?: number;
  /** Upstash's commands-per-second cap, inner script calls counted (command-rate.ts); off when absent. */
  maxCommandsPerSecond?: number;
}

export interface RestServer {
  /** http://host:port, the UPSTASH_REDIS_REST_URL for clients. */
  url: string;
  port: number;
  /** Counters since start: requests, commands, faults injected (a snapshot). */
  stats(): RestServerStats;
  /** Measures the keys written since the last check now (tests that must not wait for the timer). */
  checkRecordSizes(): Promise<void>;
  /** Commands the server sent for its own limits (MEMORY USAGE, INFO): benchmarks leave them out. */
  probeCommands(): number;
  /** Turns fault injection on (an injector, and faults planned for given commands) or off (undefined). */
  setFaults(injector: FaultInjector | undefined, planned?: PlannedFault): void;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const host = options.host ?? "127.0.0.1";
  if (options.cluster && options.maxCommandsPerSecond) throw new Error("maxCommandsPerSecond is a per-database cap: it cannot be combined with cluster");
  const cluster = options.cluster ? new ClusterPool(options.redisUrl, options.poolSize ?? 4) : undefined;
  const pool: CommandRunner = cluster ?? new RedisPool(options.redisUrl, options.poolSize ?? 4);
  try {
    await pool.ready();
  } catch (error) {
    await pool.close();
    throw new Error(`the REST server cannot reach redis-server at ${options.redisUrl}: ${(error as Error).message}`);
  }
  const stats = emptyStats();
  const faults = { injector: options.faults, planned: undefined as PlannedFault | undefined, timeoutMs: options.faultTimeoutMs ?? 10_000 };
  // the limits measure on a connection of their own, never in a request's path
  const probes = (cluster?.masterUrls() ?? [options.redisUrl]).map((url) => {
    const probe = new Redis(url, { maxRetriesPerRequest: 4, retryStrategy: (attempt: number) => Math.min(attempt * 50, 500) });
    probe.on("error", () => {});
    return probe;
  });
  const probe = probes[0]!;
  const scripts = new ScriptFlags();
  const recordSize = new RecordSizeLimit(
    probe,
    options.maxRecordBytes ?? UPSTASH_MAX_RECORD_BYTES,
    options.recordSizeCheckMs ?? 1_000,
    (c) => scripts.readOnly(c) || scripts.guards(c),
    cluster ? (key) => probes[cluster.masterOf(key)]! : undefined,
  );
  await recordSize.start();
  const commandRate = options.maxCommandsPerSecond ? new CommandRateLimit(probe, options.maxCommandsPerSecond, () => recordSize.probes) : undefined;
  await commandRate?.start();
  const stopLimits = () => {
    recordSize.stop();
    commandRate?.stop();
    probes.forEach((p) => p.disconnect());
  };
  const subscriptions = new SubscriptionHub(options.redisUrl);
  const handler = createRequestHandler({
    pool,
    subscriptions,
    checkToken: tokenChecker(options.token),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    stats,
    scripts,
    recordSize,
    commandRate,
    faults,
  });
  const server = createServer({ keepAlive: true, noDelay: true }, handler);
  // Clients keep connections for a while between bursts; outlive their idle timeouts.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  let port: number;
  try {
    port = await listen(server, options.port ?? 0, host);
  } catch (error) {
    stopLimits();
    await pool.close();
    throw error;
  }
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: () => ({ ...stats, faults: { ...stats.faults } }),
    checkRecordSizes: () => recordSize.check(),
    probeCommands: () => recordSize.probes + (commandRate?.probes ?? 0),
    setFaults(injector, planned) {
      faults.injector = injector;
      faults.planned = planned;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy(); // idle keep-alive and SSE streams would hold close() open
      await closed;
      subscriptions.close();
      stopLimits();
      await pool.close();
    },
  };
}
