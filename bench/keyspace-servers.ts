/**
 * The keyspace benches' servers: a redis-server, the REST server in this process with the record-size
 * limits the bench sets, an @upstash/redis client of it, a direct connection (MEMORY USAGE, key scans)
 * and a commandstats probe; all stopped when the bench ends, however it ends.
 */
import { Redis } from "@upstash/redis";
import IORedis from "ioredis";
import { startRedisServer } from "../dev/redis-server";
import { startRestServer, type RestServerOptions } from "../dev/rest-server/index";
import { RedisProbe } from "./redis-probe";

export interface KeyspaceServers {
  /** The REST API's client, as a Worker has it. */
  redis: Redis;
  direct: IORedis;
  probe: RedisProbe;
}

export async function withKeyspaceServers<T>(
  limits: Pick<RestServerOptions, "recordSizeCheckMs" | "maxRecordBytes">,
  run: (servers: KeyspaceServers) => Promise<T>,
): Promise<T> {
  const server = await startRedisServer();
  const rest = await startRestServer({ redisUrl: server.url, token: "bench", ...limits });
  const direct = new IORedis(server.port, "127.0.0.1");
  const probe = new RedisProbe(server.url);
  try {
    const redis = new Redis({ url: rest.url, token: "bench", automaticDeserialization: false, responseEncoding: false, enableTelemetry: false });
    return await run({ redis, direct, probe });
  } finally {
    direct.disconnect();
    await probe.close();
    await rest.close();
    await server.stop();
  }
}
