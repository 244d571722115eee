/**
 * The local stack's further databases (`npm run dev -- --shards N`): each a redis-server with an
 * Upstash-compatible REST server of its own, as each Upstash database has its own URL and token.
 * The Worker reaches them through EDGEQ_REDIS_SHARDS (src/runtime/databases.ts).
 */
import { randomBytes } from "node:crypto";
import { freePort, startRedisServer, type RedisServerHandle } from "./redis-server";
import { startRestServer, type RestServer } from "./rest-server/index";

export interface StackDatabase {
  /** Its name in EDGEQ_REDIS_SHARDS: what placement hashes and what a 503 names. */
  name: string;
  redis: RedisServerHandle;
  rest: RestServer;
  restToken: string;
  stop(): Promise<void>;
}

/** What a tool needs to reach a database of the stack (in .edgeq/stack.json). */
export interface StackDatabaseInfo {
  name: string;
  restUrl: string;
  restToken: string;
  redisPort: number;
}

export async function startStackDatabase(name: string, options: { appendOnly?: boolean; faultTimeoutMs?: number } = {}): Promise<StackDatabase> {
  const redis = await startRedisServer({ appendOnly: options.appendOnly });
  const restToken = randomBytes(24).toString("base64url");
  let rest: RestServer;
  try {
    rest = await startRestServer({ redisUrl: redis.url, token: restToken, port: await freePort(), faultTimeoutMs: options.faultTimeoutMs });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    name,
    redis,
    rest,
    restToken,
    stop: () => (stopped ??= rest.close().then(() => redis.stop())),
  };
}

export function databaseInfo(database: StackDatabase): StackDatabaseInfo {
  return { name: database.name, restUrl: database.rest.url, restToken: database.restToken, redisPort: database.redis.port };
}

/** EDGEQ_REDIS_SHARDS: the further databases as the Worker reads them (a secret in production). */
export function shardsSecret(databases: readonly StackDatabase[]): string {
  return JSON.stringify(databases.map((database) => ({ name: database.name, url: database.rest.url, token: database.restToken })));
}
