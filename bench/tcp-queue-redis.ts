/**
 * The queue core's few Redis methods over direct TCP (ioredis), for the benchmark's own watching of
 * the full system: polling a task every millisecond through the REST server would spend more CPU
 * (fetch costs ~0.4 ms of CPU per request in Node) than the system being measured on a small machine.
 * The queue core then decodes the records itself, so nothing here knows their format.
 */
import { Redis } from "ioredis";
import type { QueueRedis } from "../src/queue/index";

export interface TcpQueueRedis {
  redis: QueueRedis;
  /** host:port of this connection as redis-server names it (MONITOR's source), to tell its commands apart. */
  address(): Promise<string>;
  close(): void;
}

export function tcpQueueRedis(port: number): TcpQueueRedis {
  const connection = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1 });
  // Replies arrive as @upstash/redis returns them with automaticDeserialization off: strings,
  // integers, arrays and null; only the call shapes differ.
  const methods = {
    hmget: (key: string, ...fields: string[]) => connection.hmget(key, ...fields),
    hkeys: (key: string) => connection.hkeys(key),
    evalsha: (sha: string, keys: string[], args: string[]) => connection.evalsha(sha, keys.length, ...keys, ...args),
    eval: (script: string, keys: string[], args: string[]) => connection.eval(script, keys.length, ...keys, ...args),
  };
  const address = async () => {
    const info = String(await connection.client("INFO"));
    return /addr=(\S+)/.exec(info)?.[1] ?? "";
  };
  return { redis: methods as unknown as QueueRedis, address, close: () => connection.disconnect() };
}
