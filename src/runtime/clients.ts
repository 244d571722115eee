/**
 * The one place the Worker's bindings become clients. Each entry builds them once: the HTTP app
 * per request (its withClients middleware), the push and the cron handlers per invocation.
 * Bindings are per request on Workers; building a client is cheap and opens no connection.
 */
import { Client } from "@upstash/qstash";
import { Redis } from "@upstash/redis/cloudflare";
import { offloadingTasks, type BlobBucket } from "../blobs/index";
import type { Env } from "../env";
import { createTaskQueue, DEFAULT_PREFIX } from "../queue/index";
import type { TaskQueue } from "../queue/types";
import { type DatabaseConfig, databasesFromEnv, queueOverrides, queuePlacement } from "./databases";
import { type PushEpochs, redisPushEpochs } from "./epochs";
import { shardedTaskQueue } from "./sharded-tasks";
import { createLogger, type Logger, parseLogLevel } from "./logger";
import { type PushPublisher, qstashPublisher } from "./publisher";

export const PUSH_DELIVERY_TIMEOUT_SECONDS = 120;
const PUSH_DELIVERY_RETRIES = 3;

/** A prefix keeps its keys apart; braces would change which keys share a hash tag. */
const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface Clients {
  /** The database these clients are over: "main" (UPSTASH_REDIS_REST_URL) or a name of EDGEQ_REDIS_SHARDS. */
  database: string;
  /** The clients over the database that holds `queue` (databases.ts); these same ones with one database. */
  forQueue(queue: string): Clients;
  /** Every database's clients, the main one first (one entry with one database). */
  databases: readonly Clients[];
  redis: Redis;
  /** Every Redis key edgeq writes starts with it (EDGEQ_KEY_PREFIX, default "edgeq"). */
  prefix: string;
  /** The queue core: over `redis`; for the main database of several, over all of them, each call routed (sharded-tasks.ts). */
  tasks: TaskQueue;
  epochs: PushEpochs;
  publisher: PushPublisher;
  /** The QStash client the publisher uses, for other messages (schedule ticks, completion callbacks). */
  qstash: Client;
  /** Where this Worker is reached (EDGEQ_PUBLIC_URL): QStash messages to it go under this URL. */
  publicUrl: string;
  log: Logger;
  /** The BLOBS bucket (R2), when bound: ctx.blobs, and inputs and results past 32 KiB (src/blobs). */
  bucket?: BlobBucket;
}

export function clientsFromEnv(env: Env, options: { log?: Logger } = {}): Clients {
  const prefix = keyPrefix(env.EDGEQ_KEY_PREFIX);
  const qstash = qstashClient(env);
  const shared = {
    prefix,
    publisher: qstashPublisher(qstash, {
      publicUrl: env.EDGEQ_PUBLIC_URL,
      deliveryTimeoutSeconds: PUSH_DELIVERY_TIMEOUT_SECONDS,
      retries: PUSH_DELIVERY_RETRIES,
    }),
    qstash,
    publicUrl: env.EDGEQ_PUBLIC_URL,
    log: options.log ?? createLogger(parseLogLevel(env.EDGEQ_LOG_LEVEL), { component: "runtime" }),
    ...(env.BLOBS ? { bucket: env.BLOBS } : {}),
  };
  const configs = databasesFromEnv(env);
  const several = configs.length > 1;
  const all: Clients[] = [];
  for (const config of configs) {
    const redis = edgeqRedis(config);
    // Inputs past 32 KiB go to R2 (with a BLOBS binding), Redis keeping a reference.
    const tasks = offloadingTasks(createTaskQueue(redis, { prefix }), env.BLOBS, prefix);
    all.push({
      ...shared,
      database: config.name,
      forQueue: (queue) => forQueue(queue),
      databases: all,
      redis,
      // Of several databases, one that does not answer is named (a 503 over HTTP).
      tasks: several ? shardedTaskQueue([{ name: config.name, tasks }], () => config.name) : tasks,
      epochs: redisPushEpochs(redis, prefix),
    });
  }
  const placeOf = queuePlacement(configs, queueOverrides(env.EDGEQ_QUEUE_SHARDS, configs));
  const byName = new Map(all.map((clients) => [clients.database, clients]));
  const forQueue = (queue: string) => (several ? byName.get(placeOf(queue))! : all[0]!);
  if (!several) return all[0]!;
  return { ...all[0]!, tasks: shardedTaskQueue(all.map(({ database, tasks }) => ({ name: database, tasks })), placeOf) };
}

function keyPrefix(value: string | undefined): string {
  if (value === undefined || value === "") return DEFAULT_PREFIX;
  if (!KEY_PREFIX_PATTERN.test(value)) throw new Error(`EDGEQ_KEY_PREFIX must match ${KEY_PREFIX_PATTERN.source}`);
  return value;
}

function edgeqRedis(database: DatabaseConfig): Redis {
  // Payloads are JSON text already: base64 replies and automatic parsing only cost CPU here.
  return new Redis({
    url: database.url,
    token: database.token,
    responseEncoding: false,
    automaticDeserialization: false,
  });
}

function qstashClient(env: Env): Client {
  // devMode off: the SDK would otherwise try to download and start its own dev server. Few, quick
  // retries: a publish is best-effort (the cron is the safety net) and must not hold up a worker.
  return new Client({
    baseUrl: env.QSTASH_URL,
    token: env.QSTASH_TOKEN,
    devMode: false,
    enableTelemetry: false,
    retry: { retries: 2, backoff: (retry) => 50 * 2 ** retry },
  });
}
