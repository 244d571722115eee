/** The real @upstash/redis client, pointed at the test run's REST server (see global-setup.ts). */
import { randomBytes } from "node:crypto";
import { Redis, type RedisConfigNodejs } from "@upstash/redis";
import { inject } from "vitest";

export type TestRedisOptions = Omit<RedisConfigNodejs, "url" | "token">;

/** The real client for any REST server of a test (no telemetry); options pass through. */
export function restRedis(url: string, token: string, options: TestRedisOptions = {}): Redis {
  return new Redis({ url, token, enableTelemetry: false, ...options });
}

/** A Redis client for the shared REST server; options (responseEncoding, automaticDeserialization, …) pass through. */
export function testRedis(options: TestRedisOptions = {}): Redis {
  return restRedis(inject("restUrl"), inject("restToken"), options);
}

/** A key prefix no other test file shares, e.g. `t-3f9a1c2b:`. */
export function randomPrefix(label = "t"): string {
  return `${label}-${randomBytes(4).toString("hex")}:`;
}

/** Deletes every key under a prefix: the afterAll of a test file that used `randomPrefix()`. */
export async function deleteKeysWithPrefix(prefix: string): Promise<void> {
  const redis = testRedis();
  const keys = await redis.keys(`${prefix}*`);
  // One UNLINK a key: on a Redis Cluster (the "cluster" test project) keys of one DEL must share a slot.
  for (let i = 0; i < keys.length; i += 1_000) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(i, i + 1_000)) pipeline.unlink(key);
    await pipeline.exec();
  }
}

/** Replies as the Worker's own client reads them (src/runtime/clients.ts), and faster to parse. */
export const RAW_REPLIES = { responseEncoding: false, automaticDeserialization: false } as const;

/** A test client with RAW_REPLIES, the way the queue core is meant to be driven. */
export function rawTestRedis(): Redis {
  return testRedis(RAW_REPLIES);
}

export interface TestKeyspace {
  /** A key prefix (the queue core's `prefix`, the Worker's EDGEQ_KEY_PREFIX) no other test file shares. */
  prefix: string;
  /** Deletes every key under the prefix: pass it to afterAll. */
  cleanup(): Promise<void>;
}

/** redis-js's keygen + cleanup pattern: `const keys = testKeyspace("label"); afterAll(keys.cleanup);`. */
export function testKeyspace(label = "t"): TestKeyspace {
  const prefix = randomPrefix(label).slice(0, -1);
  return { prefix, cleanup: () => deleteKeysWithPrefix(`${prefix}:`) };
}
