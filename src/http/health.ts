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
