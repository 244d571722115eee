import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { startRedisCluster } from "../../dev/redis-cluster";
import { startRedisServer } from "../../dev/redis-server";
import { startRestServer } from "../../dev/rest-server/index";
import { startQStashServer } from "../../dev/qstash/index";

/** The vitest project whose files run against a Redis Cluster. */
export const CLUSTER_PROJECT = "cluster";

declare module "vitest" {
  export interface ProvidedContext {
    redisPort: number;
    /** The Upstash-compatible REST server in front of the shared redis-server. */
    restUrl: string;
    restToken: string;
    /** The QStash-compatible dev server on the shared redis-server, and its credentials. */
    qstashUrl: string;
    qstashToken: string;
    qstashCurrentSigningKey: string;
    qstashNextSigningKey: string;
  }
}

/**
 * One private redis-server for the whole run; each test file isolates itself with random key prefixes.
 * The "cluster" project (test/vitest.config.ts) gets a 3-master Redis Cluster behind the REST server
 * instead, and the QStash dev server a redis-server of its own (its keys are not hash-tagged).
 */
export default async function setup(project: TestProject) {
  const cluster = project.name === CLUSTER_PROJECT ? await startRedisCluster() : undefined;
  const redis = await startRedisServer();
  project.provide("redisPort", cluster ? cluster.nodes[0]!.port : redis.port);
  const restToken = randomBytes(24).toString("base64url");
  const rest = await startRestServer({ redisUrl: cluster ? cluster.urls[0]! : redis.url, token: restToken, cluster: Boolean(cluster) });
  project.provide("restUrl", rest.url);
  project.provide("restToken", restToken);
  const qstashCredentials = {
    token: randomBytes(24).toString("base64url"),
    currentSigningKey: `sig_${randomBytes(18).toString("base64url")}`,
    nextSigningKey: `sig_${randomBytes(18).toString("base64url")}`,
  };
  const qstash = await startQStashServer({ redisUrl: redis.url, keyPrefix: "test-qstash:", ...qstashCredentials });
  project.provide("qstashUrl", qstash.url);
  project.provide("qstashToken", qstashCredentials.token);
  project.provide("qstashCurrentSigningKey", qstashCredentials.currentSigningKey);
  project.provide("qstashNextSigningKey", qstashCredentials.nextSigningKey);
  return async () => {
    await qstash.close();
    await rest.close();
    await redis.stop();
    await cluster?.stop();
  };
}
