/**
 * Redis reachability for GET /health. A load balancer or uptime check polling /health would pay
 * one billed Redis command per check; a good answer stands for HEALTH_REDIS_TTL_MS per isolate
 * instead. A failure is never kept, so an outage shows at the first check after the last good
 * answer expired, and recovery at the next check.
 */
export const HEALTH_REDIS_TTL_MS = 1_000;

/** The last good PING per Redis client. Only settled answers: a pending one belongs to its own request. */
const lastPing = new WeakMap<object, { reply: string; at: number }>();

export async function redisReachability(redis: { ping(): Promise<string> }, now: () => number = Date.now): Promise<string> {
  const last = lastPing.get(redis);
  if (last && now() - last.at < HEALTH_REDIS_TTL_MS) return last.reply;
  const reply = await redis.ping();
  lastPing.set(redis, { reply, at: now() });
  return reply;
}

/** A database of the deployment as /health sees it (runtime/clients.ts Clients: `database`, `redis`). */
export interface HealthDatabase {
  database: string;
  redis: { ping(): Promise<string> };
}

/**
 * Every database's reachability, each PING cached as redisReachability's (one per database per
 * second per isolate), asked in parallel: the answers by database name, and the databases that did
 * not answer with why.
 */
export async function databasesReachability(
  databases: readonly HealthDatabase[],
  now: () => number = Date.now,
): Promise<{ replies: Record<string, string>; down: { database: string; reason: string }[] }> {
  const settled = await Promise.allSettled(databases.map(({ redis }) => redisReachability(redis, now)));
  const replies: Record<string, string> = {};
  const down: { database: string; reason: string }[] = [];
  settled.forEach((result, i) => {
    const { database } = databases[i]!;
    if (result.status === "fulfilled") replies[database] = result.value;
    else down.push({ database, reason: result.reason instanceof Error ? result.reason.message : String(result.reason) });
  });
  return { replies, down };
}
