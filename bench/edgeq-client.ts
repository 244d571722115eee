/**
 * edgeq's queue core as a worker would use it: over the Upstash REST protocol with the real
 * @upstash/redis client, set up the way the runtime sets up its internal client (payloads are JSON
 * text already, so base64 and automatic deserialization would only cost CPU).
 */
import { Redis } from "@upstash/redis";
import { createTaskQueue } from "../src/queue/index";
import type { TaskQueue } from "../src/queue/types";

export interface RestTarget {
  restUrl: string;
  restToken: string;
}

export function benchRedis(target: RestTarget): Redis {
  return new Redis({
    url: target.restUrl,
    token: target.restToken,
    responseEncoding: false,
    automaticDeserialization: false,
    enableTelemetry: false,
  });
}

/** One queue client per worker loop, as separate worker invocations would each have their own. */
export function queueClients(target: RestTarget, count: number): TaskQueue[] {
  return Array.from({ length: count }, () => createTaskQueue(benchRedis(target)));
}
