import type { TestProject } from "vitest/node";
import { startRedisServer } from "../../dev/redis-server";

declare module "vitest" {
  export interface ProvidedContext {
    redisPort: number;
  }
}

/** One private redis-server for the whole run; each test file isolates itself with random key prefixes. */
export default async function setup(project: TestProject) {
  const redis = await startRedisServer();
  project.provide("redisPort", redis.port);
  return async () => {
    await redis.stop();
  };
}
