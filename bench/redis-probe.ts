/**
 * Reads what redis-server itself counts: commands (INFO commandstats, which in Redis 7 counts the
 * calls a Lua script makes as well as the EVALSHA around them) and memory (INFO memory). Talks to
 * redis-server directly over TCP so that the probe's own commands never pass through the REST server.
 */
import { Redis } from "ioredis";
import { partitionOf, splitTaskId } from "../src/queue/ids";
import { DEFAULT_PREFIX, legacyTasksKey, partitionKeys } from "../src/queue/keys";

/** The probe's own and connection housekeeping commands: never part of a workload's cost. */
const NOT_WORKLOAD = new Set(["info", "config", "flushall", "flushdb", "client", "hello", "select", "memory", "dbsize", "command", "ping"]);

export interface CommandCounts {
  /** calls by command name, script-inner calls included (e.g. evalsha, zadd, hset). */
  byCommand: Record<string, number>;
  /** Time redis-server spent in each command, microseconds (a script's time includes its inner calls). */
  usecByCommand: Record<string, number>;
  total: number;
}

function parseCommandStats(text: string): CommandCounts {
  const byCommand: Record<string, number> = {};
  const usecByCommand: Record<string, number> = {};
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (!match) continue;
    const name = match[1]!;
    if (NOT_WORKLOAD.has(name.split("|")[0]!)) continue;
    const calls = Number(match[2]);
    byCommand[name] = calls;
    usecByCommand[name] = Number(match[3]);
    total += calls;
  }
  return { byCommand, usecByCommand, total };
}

function infoField(text: string, field: string): string {
  const match = new RegExp(`^${field}:(.*)$`, "m").exec(text);
  if (!match?.[1]) throw new Error(`INFO has no ${field}`);
  return match[1].trim();
}

export class RedisProbe {
  private readonly redis: Redis;

  constructor(redisUrl: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  }

  /** Starts a workload from an empty server with zeroed counters. */
  async reset(): Promise<void> {
    await this.redis.flushall();
    await this.redis.config("RESETSTAT");
  }

  async resetStats(): Promise<void> {
    await this.redis.config("RESETSTAT");
  }

  async commands(): Promise<CommandCounts> {
    return parseCommandStats(await this.redis.info("commandstats"));
  }

  /** Memory in use by data, after freeing what lazy deletion left (so deltas are not skewed). */
  async usedMemory(): Promise<number> {
    await this.redis.call("MEMORY", "PURGE");
    return Number(infoField(await this.redis.info("memory"), "used_memory"));
  }

  async version(): Promise<string> {
    return infoField(await this.redis.info("server"), "redis_version");
  }

  /** Task records by id, straight from their partitions' hashes (one HMGET per partition): null where none. */
  /** HMGETs hmgetTasks sent (one per partition of the ids a call): benchmarks subtract their own reads. */
  taskReads = 0;

  async hmgetTasks(ids: string[]): Promise<(string | null)[]> {
    const byKey = new Map<string, { fields: string[]; at: number[] }>();
    ids.forEach((id, i) => {
      const parts = splitTaskId(id);
      const key = parts ? partitionKeys(DEFAULT_PREFIX, parts.queue, partitionOf(parts.local))[0] : legacyTasksKey(DEFAULT_PREFIX);
      const group = byKey.get(key) ?? { fields: [], at: [] };
      group.fields.push(parts ? parts.local : id);
      group.at.push(i);
      byKey.set(key, group);
    });
    const out: (string | null)[] = ids.map(() => null);
    this.taskReads += byKey.size;
    await Promise.all([...byKey].map(async ([key, { fields, at }]) => {
      const values = await this.redis.hmget(key, ...fields);
      values.forEach((value, k) => (out[at[k]!] = value));
    }));
    return out;
  }

  /** host:port of the probe's connection as redis-server names it (MONITOR's source). */
  async address(): Promise<string> {
    return /addr=(\S+)/.exec(String(await this.redis.client("INFO")))?.[1] ?? "";
  }

  async keyCount(): Promise<number> {
    return this.redis.dbsize();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** The commands issued between two readings. */
export function commandDelta(before: CommandCounts, after: CommandCounts): CommandCounts {
  const byCommand: Record<string, number> = {};
  const usecByCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, calls] of Object.entries(after.byCommand)) {
    const delta = calls - (before.byCommand[name] ?? 0);
    if (delta <= 0) continue;
    byCommand[name] = delta;
    usecByCommand[name] = (after.usecByCommand[name] ?? 0) - (before.usecByCommand[name] ?? 0);
    total += delta;
  }
  return { byCommand, usecByCommand, total };
}
