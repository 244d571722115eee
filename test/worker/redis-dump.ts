/**
 * Every key and value in Redis, read straight through the REST server (not through the queue core),
 * as text: what someone who can read the database sees.
 */
import { env } from "cloudflare:workers";

type Command = (string | number)[];

async function pipeline(commands: Command[]): Promise<unknown[]> {
  const response = await fetch(`${env.UPSTASH_REDIS_REST_URL}/pipeline`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(commands),
  });
  if (!response.ok) throw new Error(`REST server answered ${response.status}`);
  const replies = (await response.json()) as { result?: unknown; error?: string }[];
  return replies.map((reply) => {
    if (reply.error) throw new Error(reply.error);
    return reply.result;
  });
}

const READ_BY_TYPE: Record<string, (key: string) => Command> = {
  string: (key) => ["GET", key],
  hash: (key) => ["HGETALL", key],
  list: (key) => ["LRANGE", key, 0, -1],
  set: (key) => ["SMEMBERS", key],
  zset: (key) => ["ZRANGE", key, 0, -1, "WITHSCORES"],
  stream: (key) => ["XRANGE", key, "-", "+"],
};

/** All keys with their values, as one text per key. */
export async function dumpRedis(): Promise<Map<string, string>> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [reply] = await pipeline([["SCAN", cursor, "COUNT", 1000]]);
    const [next, page] = reply as [string, string[]];
    keys.push(...page);
    cursor = next;
  } while (cursor !== "0");
  const dump = new Map<string, string>();
  for (let i = 0; i < keys.length; i += 200) {
    const chunk = keys.slice(i, i + 200);
    const types = (await pipeline(chunk.map((key) => ["TYPE", key]))) as string[];
    const reads = chunk.map((key, j) => (READ_BY_TYPE[types[j]!] ?? ((k: string) => ["TYPE", k]))(key));
    const values = await pipeline(reads);
    chunk.forEach((key, j) => dump.set(key, JSON.stringify(values[j])));
  }
  return dump;
}
