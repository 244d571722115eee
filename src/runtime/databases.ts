/**
 * Several Upstash databases: which ones there are (from the bindings) and which one holds a queue.
 *
 * The main database is UPSTASH_REDIS_REST_URL/TOKEN, as with one database; it also keeps what
 * belongs to the deployment rather than to a queue (schedules, rate limits, replay marks of schedule
 * ticks). EDGEQ_REDIS_SHARDS, a secret, names the others. A queue lives on one database, chosen by
 * rendezvous (highest-random-weight) hashing of its name over the databases' names: adding a
 * database moves only the queues that now rank it first (about 1/N of them), and removing one moves
 * only its own. EDGEQ_QUEUE_SHARDS pins a queue to a database (e.g. to keep an existing queue where
 * its data is when a database is added).
 */

/** The name of UPSTASH_REDIS_REST_URL's database in placement, in EDGEQ_QUEUE_SHARDS and in errors. */
export const MAIN_DATABASE = "main";

const DATABASE_NAME = /^[a-z0-9_-]{1,32}$/;

export interface DatabaseConfig {
  name: string;
  url: string;
  token: string;
}

export interface DatabaseBindings {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  EDGEQ_REDIS_SHARDS?: string;
  EDGEQ_QUEUE_SHARDS?: string;
}

/** A deployment's configuration is wrong: the Worker refuses to run rather than place queues wrongly. */
export class DatabaseConfigError extends Error {
  override name = "DatabaseConfigError";
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DatabaseConfigError(`${name} is not valid JSON`);
  }
}

function shardEntry(value: unknown, index: number): DatabaseConfig {
  const at = `EDGEQ_REDIS_SHARDS[${index}]`;
  if (typeof value !== "object" || value === null) throw new DatabaseConfigError(`${at} must be an object {name, url, token}`);
  const { name, url, token } = value as Record<string, unknown>;
  if (typeof name !== "string" || !DATABASE_NAME.test(name)) throw new DatabaseConfigError(`${at}.name must match ${DATABASE_NAME.source}`);
  if (name === MAIN_DATABASE) throw new DatabaseConfigError(`${at}.name: "${MAIN_DATABASE}" is UPSTASH_REDIS_REST_URL's database`);
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) throw new DatabaseConfigError(`${at}.url must be the database's REST URL`);
  if (typeof token !== "string" || token === "") throw new DatabaseConfigError(`${at}.token must be the database's REST token`);
  return { name, url, token };
}

/** Every database of the deployment, the main one first. */
export function databasesFromEnv(env: DatabaseBindings): DatabaseConfig[] {
  const main: DatabaseConfig = { name: MAIN_DATABASE, url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN };
  if (env.EDGEQ_REDIS_SHARDS === undefined || env.EDGEQ_REDIS_SHARDS.trim() === "") return [main];
  const list = parseJson("EDGEQ_REDIS_SHARDS", env.EDGEQ_REDIS_SHARDS);
  if (!Array.isArray(list)) throw new DatabaseConfigError("EDGEQ_REDIS_SHARDS must be a JSON list of {name, url, token}");
  const shards = list.map(shardEntry);
  const names = new Set([MAIN_DATABASE]);
  for (const shard of shards) {
    if (names.has(shard.name)) throw new DatabaseConfigError(`EDGEQ_REDIS_SHARDS names "${shard.name}" twice`);
    names.add(shard.name);
  }
  return [main, ...shards];
}

/** EDGEQ_QUEUE_SHARDS, {queue: database name}: every name must be a database of the deployment. */
export function queueOverrides(text: string | undefined, databases: readonly DatabaseConfig[]): Map<string, string> {
  if (text === undefined || text.trim() === "") return new Map();
  const value = parseJson("EDGEQ_QUEUE_SHARDS", text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DatabaseConfigError("EDGEQ_QUEUE_SHARDS must be a JSON object {queue: database name}");
  const known = new Set(databases.map((database) => database.name));
  const overrides = new Map<string, string>();
  for (const [queue, name] of Object.entries(value)) {
    if (typeof name !== "string" || !known.has(name)) {
      throw new DatabaseConfigError(`EDGEQ_QUEUE_SHARDS.${queue} names "${String(name)}", which is not a database (${[...known].join(", ")})`);
    }
    overrides.set(queue, name);
  }
  return overrides;
}

/** A 32-bit hash with full avalanche (FNV-1a over UTF-16 units, then a murmur3-style finalizer). */
function weight(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The database that ranks highest for the queue (rendezvous hashing); ties go to the first name. */
export function rendezvous(queue: string, names: readonly string[]): string {
  let best = names[0]!;
  let bestWeight = -1;
  for (const name of names) {
    const w = weight(`${name}\n${queue}`);
    if (w > bestWeight) [best, bestWeight] = [name, w];
  }
  return best;
}

/** Where each queue lives: its override, or the rendezvous winner. */
export function queuePlacement(databases: readonly DatabaseConfig[], overrides: ReadonlyMap<string, string>): (queue: string) => string {
  const names = databases.map((database) => database.name);
  return (queue) => overrides.get(queue) ?? rendezvous(queue, names);
}
