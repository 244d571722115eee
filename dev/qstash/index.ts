import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { dlqRoutes } from "./api-dlq";
import { messageRoutes } from "./api-messages";
import { publishRoutes, type ApiContext } from "./api-publish";
import { queueRoutes, scheduleRoutes } from "./api-schedules";
import { topicRoutes } from "./api-topics";
import { flowControlRoutes } from "./api-flow-control";
import { CatalogStore } from "./catalog-store";
import { DeliveryEngine, type DeliveryFaults, type DeliveryStats } from "./engine";
import { EventLog } from "./event-log";
import { createApiServer } from "./http-server";
import { MessageStore, QStashKeys } from "./message-store";
import { fireDueSchedules } from "./schedules";

export type { DeliveryFaults, DeliveryStats } from "./engine";

export interface QStashServerOptions {
  /** redis://host:port of the redis-server that keeps the state (shared with the REST server is fine). */
  redisUrl: string;
  /** The bearer token clients must send (QSTASH_TOKEN). */
  token: string;
  /** Deliveries are signed with this key; receivers verify with it or the next one. */
  currentSigningKey: string;
  nextSigningKey: string;
  /** 0 or absent: a free port. */
  port?: number;
  host?: string;
  /** Prefix of every Redis key; one running server per prefix. Default "qstash:". */
  keyPrefix?: string;
  /** Deliveries in flight at once (default 256). */
  concurrency?: number;
  /** Retries when Upstash-Retries is absent (QStash's default: 3). */
  defaultRetries?: number;
  /** Delivery timeout when Upstash-Timeout is absent (default 15 minutes). */
  defaultTimeoutMs?: number;
  /** Largest message body (default 1 MiB, QStash's free-plan limit). */
  maxMessageBytes?: number;
  /** How long a deduplication id is remembered (default 10 minutes). */
  dedupWindowMs?: number;
  /** How long close() waits for deliveries in flight before abandoning them to the next start (default 2 s). */
  closeGraceMs?: number;
  /** Events kept for GET /v2/events, newest first (default 10,000; 0 turns the log off). */
  eventLogSize?: number;
  faults?: DeliveryFaults;
}

export interface QStashServerHandle {
  url: string;
  port: number;
  /** Changes the fault-injection switches of later deliveries (chaos tests). */
  setFaults(faults: DeliveryFaults): void;
  /** Counters since start: delivery attempts, and the duplicates and delays injected (a snapshot). */
  stats(): DeliveryStats;
  close(): Promise<void>;
}

/**
 * Starts a QStash-compatible dev server: the API that @upstash/qstash's Client speaks, signed deliveries
 * the real Receiver accepts, retries, DLQ, schedules, queues and flow control, with every accepted
 * message kept in Redis so that a restart (or a crash) loses nothing.
 */
export async function startQStashServer(options: QStashServerOptions): Promise<QStashServerHandle> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true, enableAutoPipelining: true });
  let lastError = "";
  redis.on("error", (error: Error) => {
    // ioredis reconnects by itself; say so once per distinct error rather than at every retry.
    if (error.message !== lastError) console.error(`[qstash-dev] redis-server at ${options.redisUrl}: ${error.message}`);
    lastError = error.message;
  });
  redis.on("ready", () => (lastError = ""));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach redis-server at ${options.redisUrl}: ${lastError || (error as Error).message}`);
  }
  const keys = new QStashKeys(options.keyPrefix ?? "qstash:");
  const messages = new MessageStore(redis, keys);
  const catalog = new CatalogStore(redis, keys);
  const limits = {
    defaultRetries: options.defaultRetries ?? 3,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 15 * 60_000,
    maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
  };
  const faults: DeliveryFaults = { ...options.faults };
  const events = new EventLog(redis, keys.events, options.eventLogSize ?? 10_000);
  const engine: DeliveryEngine = new DeliveryEngine(messages, catalog, {
    concurrency: options.concurrency ?? 256,
    signingKey: options.currentSigningKey,
    dedupWindowMs: options.dedupWindowMs ?? 10 * 60_000,
    faults,
    closeGraceMs: options.closeGraceMs ?? 2000,
    events,
    fireSchedules: (now) => fireDueSchedules(catalog, (message) => engine.accept(message), now),
  });
  const context: ApiContext = {
    engine, events, messages, catalog, limits,
    signingKeys: { current: options.currentSigningKey, next: options.nextSigningKey },
  };
  const server = createApiServer({
    token: options.token,
    routes: [...publishRoutes(context), ...messageRoutes(context), ...dlqRoutes(context), ...scheduleRoutes(context), ...queueRoutes(context), ...topicRoutes(context), ...flowControlRoutes(context)],
    // A batch carries many messages; each is still held to maxMessageBytes.
    maxRequestBytes: limits.maxMessageBytes * 16,
  });
  try {
    await engine.start();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
    });
  } catch (error) {
    await engine.close();
    redis.disconnect();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    stats: () => ({ ...engine.stats }),
    setFaults(next) {
      Object.assign(faults, { duplicateProbability: undefined, maxExtraDelayMs: undefined, random: undefined, watch: undefined }, next);
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.close();
      await redis.quit();
    },
  };
}
