/**
 * The REST server over a 3-master Redis Cluster (dev/redis-cluster.ts): each command reaches the
 * master serving its slot, keys that span slots are refused with the cluster's CROSSSLOT, and the
 * whole-database commands (KEYS, SCAN, DBSIZE, SCRIPT LOAD) fan out to every master.
 */
import { randomBytes } from "node:crypto";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slotRanges, startRedisCluster, type RedisClusterHandle } from "../../dev/redis-cluster";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { keySlot } from "../../dev/rest-server/slots";
import { restRedis } from "../support/redis-client";

let cluster: RedisClusterHandle;
let rest: RestServer;
let nodes: IORedis[];
const token = randomBytes(16).toString("hex");
const client = () => restRedis(rest.url, token, { retry: false });
/** Keys in 20 different slots, so that every master holds some. */
const spread = Array.from({ length: 20 }, (_, i) => `cl-${i}`);

beforeAll(async () => {
  cluster = await startRedisCluster();
  rest = await startRestServer({ redisUrl: cluster.urls[1]!, token, cluster: true });
  nodes = cluster.urls.map((url) => new IORedis(url));
}, 60_000);

afterAll(async () => {
  nodes?.forEach((node) => node.disconnect());
  await rest?.close();
  await cluster?.stop();
});

/** Which master holds a key, asked of the masters themselves. */
async function holder(key: string): Promise<number> {
  const found = await Promise.all(nodes.map((node) => node.exists(key).catch(() => 0)));
  return found.indexOf(1);
}

describe("REST server over a Redis Cluster", () => {
  it("computes the slot of a key as Redis does (hash tags, empty braces, binary)", async () => {
    const keys = ["a", "{user1000}.following", "{user1000}.followers", "foo{}{bar}", "foo{{bar}}zap", "{}x", "é☃", "x{y", "edgeq:{orders}:tasks"];
    for (const key of keys) expect(keySlot(key), key).toBe(Number(await nodes[0]!.call("CLUSTER", "KEYSLOT", key)));
  });

  it("routes every key to the master serving its slot, and reads it back", async () => {
    const redis = client();
    await Promise.all(spread.map((key, i) => redis.set(key, i)));
    expect(await Promise.all(spread.map((key) => redis.get(key)))).toEqual(spread.map((_, i) => i));
    const holders = await Promise.all(spread.map(holder));
    expect(new Set(holders)).toEqual(new Set([0, 1, 2]));
  });

  it("routes a pipeline command by command, keeping their order and errors in place", async () => {
    const pipeline = client().pipeline();
    for (const key of spread) pipeline.incr(`p-${key}`);
    pipeline.lpush(spread[0]!, "x"); // a string: WRONGTYPE in place
    for (const key of spread) pipeline.incrby(`p-${key}`, 10);
    const results = await pipeline.exec({ keepErrors: true });
    expect(results.slice(0, 20).map((r) => r.result)).toEqual(Array(20).fill(1));
    expect(results[20]!.error).toMatch(/WRONGTYPE/);
    expect(results.slice(21).map((r) => r.result)).toEqual(Array(20).fill(11));
  });

  it("refuses a script whose keys span slots with CROSSSLOT, and runs one under a hash tag", async () => {
    const redis = client();
    const script = "redis.call('set', KEYS[1], ARGV[1]) redis.call('set', KEYS[2], ARGV[1]) return 1";
    await expect(redis.eval(script, ["{a}x", "{b}x"], ["1"])).rejects.toThrow(/CROSSSLOT/);
    expect(await redis.exists("{a}x")).toBe(0);
    expect(await redis.exists("{b}x")).toBe(0);
    expect(await redis.eval(script, ["{q}tasks", "{q}ready"], ["2"])).toBe(1);
    expect(await redis.mget("{q}tasks", "{q}ready")).toEqual([2, 2]);
  });

  it("lets the node refuse a script that touches an undeclared key of another master", async () => {
    const redis = client();
    const masterOf = (key: string) => slotRanges(3).findIndex(([first, last]) => keySlot(key) >= first && keySlot(key) <= last);
    const local = "u-a";
    const remote = spread.find((key) => masterOf(key) !== masterOf(local))!;
    await expect(redis.eval("return redis.call('get', ARGV[1])", [local], [remote])).rejects.toThrow(/non local key/);
  });

  it("refuses a transaction whose keys span slots whole: nothing runs", async () => {
    const tx = client().multi();
    tx.set("{t1}k", "1");
    tx.set("{t2}k", "1");
    await expect(tx.exec()).rejects.toThrow(/CROSSSLOT/);
    expect([await client().exists("{t1}k"), await client().exists("{t2}k")]).toEqual([0, 0]);
    const same = client().multi();
    same.set("{t1}k", "1");
    same.incr("{t1}n");
    expect(await same.exec()).toEqual(["OK", 1]);
  });

  it("refuses a multi-key command across slots, as a cluster does", async () => {
    await expect(client().mget("{m1}a", "{m2}a")).rejects.toThrow(/CROSSSLOT/);
    await expect(client().del("{m1}a", "{m2}a")).rejects.toThrow(/CROSSSLOT/);
  });

  it("fans KEYS, SCAN and DBSIZE out to every master", async () => {
    const redis = client();
    const keys = (await redis.keys("cl-*")).sort();
    expect(keys).toEqual([...spread].sort());
    const scanned: string[] = [];
    let cursor = "0";
    do {
      const [next, page] = await redis.scan(cursor, { match: "cl-*", count: 5 });
      scanned.push(...page);
      cursor = String(next);
    } while (cursor !== "0");
    expect([...new Set(scanned)].sort()).toEqual([...spread].sort());
    const perNode = await Promise.all(nodes.map((node) => node.dbsize()));
    expect(await redis.dbsize()).toBe(perNode.reduce((a, b) => a + b, 0));
  });

  it("measures each key on its own master for the record-size limit", async () => {
    const limited = await startRestServer({ redisUrl: cluster.urls[0]!, token, cluster: true, maxRecordBytes: 64 * 1024, recordSizeCheckMs: 60_000 });
    try {
      const redis = restRedis(limited.url, token, { retry: false });
      const big = spread.map((key) => `big-${key}`).filter((key) => slotRanges(3).findIndex(([a, b]) => keySlot(key) >= a && keySlot(key) <= b) === 2)[0]!;
      await redis.set(big, "x".repeat(100 * 1024));
      await limited.checkRecordSizes();
      await expect(redis.append(big, "y")).rejects.toThrow(/max single record size exceeded/);
      expect(await redis.strlen(big)).toBe(100 * 1024);
    } finally {
      await limited.close();
    }
  });

  it("loads a script on every master, so EVALSHA finds it whatever the slot", async () => {
    const redis = client();
    const sha = await redis.scriptLoad("return redis.call('get', KEYS[1])");
    expect(await Promise.all(spread.map((key) => redis.evalsha(sha, [key], [])))).toEqual(spread.map((_, i) => i));
    expect(await redis.scriptExists(sha)).toEqual([1]);
  });
});
