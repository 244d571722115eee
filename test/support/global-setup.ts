import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { startRedisServer } from "../../dev/redis-server";
import { startRestServer } from "../../dev/rest-server/index";

declare module "vitest" {
  export interface ProvidedContext {
    redisPort: number;
    /** The Upstash-compatible REST server in front of the shared redis-server. */
    restUrl: string;
    restToken: string;
  }
}

/** One private redis-server for the whole run; each test file isolates itself with random key prefixes. */
export default async function setup(project: TestProject) {
  const redis = await startRedisServer();
  project.provide("redisPort", redis.port);
  const restToken = randomBytes(24).toString("base64url");
  const rest = await startRestServer({ redisUrl: redis.url, token: restToken });
  project.provide("restUrl", rest.url);
  project.provide("restToken", restToken);
  return async () => {
    await rest.close();
    await redis.stop();
  };
}
