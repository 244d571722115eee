/**
 * A redis-server and an Upstash-compatible REST server of a test's own, with Upstash's record-size
 * limit set low (a test of what the limit refuses must not share its server with other tests): the
 * real @upstash/redis client as the queue gets it (raw replies), and a direct connection to read
 * MEMORY USAGE and keys the way no script does.
 */
import { Redis } from "@upstash/redis";
import { Redis as DirectRedis } from "ioredis";
import { startRedisServer } from "../../dev/redis-server";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";

export interface LimitedStack {
  rest: RestServer;
  redis: Redis;
  direct: DirectRedis;
  close(): Promise<void>;
}

export async function startLimitedStack(maxRecordBytes: number): Promise<LimitedStack> {
  const token = "record-limit-token";
  const redisServer = await startRedisServer();
  // sizes are checked when a test asks (rest.checkRecordSizes), not on a timer
  const rest = await startRestServer({ redisUrl: redisServer.url, token, maxRecordBytes, recordSizeCheckMs: 60_000 });
  const redis = new Redis({ url: rest.url, token, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
  const direct = new DirectRedis(redisServer.url);
  return {
    rest,
    redis,
    direct,
    close: async () => {
      direct.disconnect();
      await rest.close();
      await redisServer.stop();
    },
  };
}
