/**
 * Upstash's limits on the REST server: the record-size limit (set to 1 MB here; 100 MB by default)
 * refuses writes to a key at the limit while reads and deletes go on, and the opt-in
 * commands-per-second cap holds requests back, counting the calls inside scripts as billed.
 * Each server here has a redis-server of its own: the cap counts every command of its redis-server.
 */
import { Redis } from "@upstash/redis";
import { Redis as DirectRedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../dev/redis-server";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";

const TOKEN = "limits-test-token";
const MB = 1024 * 1024;
const CHUNK = "x".repeat(64 * 1024);

async function stack(options: { maxRecordBytes?: number; maxCommandsPerSecond?: number }) {
  const redisServer = await startRedisServer();
  const rest = await startRestServer({ redisUrl: redisServer.url, token: TOKEN, recordSizeCheckMs: 60_000, ...options });
  const client = new Redis({ url: rest.url, token: TOKEN, enableTelemetry: false, automaticDeserialization: false });
  return { redisServer, rest, client };
}

describe("REST server: record-size limit", () => {
  let s: { redisServer: RedisServerHandle; rest: RestServer; client: Redis };
  beforeAll(async () => void (s = await stack({ maxRecordBytes: MB })));
  afterAll(async () => {
    await s.rest.close();
    await s.redisServer.stop();
  });

  /**
   * Writes 64 KB chunks, measuring after each write as the server's timer would, until a write is
   * refused; returns the writes accepted (some 640 KB to 1 MB of them: allocation overhead counts too).
   */
  async function fillPastLimit(write: (i: number) => Promise<unknown>): Promise<number> {
    for (let i = 0; i < 40; i++) {
      try {
        await write(i);
      } catch (error) {
        expect((error as Error).message).toContain("ERR max single record size exceeded");
        expect(i).toBeGreaterThanOrEqual(10); // MEMORY USAGE counts allocations: a 64 KB value takes up to 80 KB
        return i;
      }
      await s.rest.checkRecordSizes();
    }
    throw new Error("40 chunks of 64 KB went into one key with a 1 MB limit");
  }

  it("refuses a write to a list at the limit with Upstash's text; reads and deletes still work; it comes back under", async () => {
    const written = await fillPastLimit(() => s.client.rpush("big-list", CHUNK));
    await expect(s.client.rpush("big-list", "one more")).rejects.toThrow("ERR max single record size exceeded");
    expect(await s.client.llen("big-list")).toBe(written);
    expect((await s.client.lrange("big-list", 0, 0))[0]).toHaveLength(CHUNK.length);
    await s.client.ltrim("big-list", 0, 3); // LTRIM may not grow a key: allowed at the limit
    await s.rest.checkRecordSizes();
    expect(await s.client.rpush("big-list", "fits again")).toBe(5);
    // another key is not affected
    expect(await s.client.set("small", "v")).toBe("OK");
  });

  it("refuses a hash field write and a script that may write the key; a no-writes script and HDEL run", async () => {
    const fields = await fillPastLimit((i) => s.client.hset("big-hash", { [`f${i}`]: CHUNK }));
    await expect(s.client.hset("big-hash", { extra: "1" })).rejects.toThrow("ERR max single record size exceeded");
    const writer = `#!lua flags=allow-key-locking\nreturn redis.call("HSET", KEYS[1], "g", "1")`;
    await expect(s.client.eval(writer, ["big-hash"], [])).rejects.toThrow("ERR max single record size exceeded");
    const reader = `#!lua flags=no-writes,allow-key-locking\nreturn redis.call("HLEN", KEYS[1])`;
    expect(Number(await s.client.eval(reader, ["big-hash"], []))).toBe(fields);
    expect(await s.client.hexists("big-hash", "extra")).toBe(0);
    expect(await s.client.hdel("big-hash", "f0")).toBe(1);
  });

  it("refuses a flagged script where it writes to the key, keeping its earlier writes; an unflagged one before it runs", async () => {
    await fillPastLimit((i) => s.client.hset("big-hash-2", { [`f${i}`]: CHUNK }));
    const flagged = `#!lua flags=allow-key-locking\nredis.call("SET", KEYS[1], "written first")\nreturn redis.call("HSET", KEYS[2], "g", "1")`;
    await expect(s.client.eval(flagged, ["before", "big-hash-2"], [])).rejects.toThrow("ERR max single record size exceeded");
    expect(await s.client.get("before")).toBe("written first");
    // once loaded, the same script by EVALSHA is refused the same way
    await expect(s.client.evalsha(await s.client.scriptLoad(flagged), ["before2", "big-hash-2"], [])).rejects.toThrow("ERR max single record size exceeded");
    expect(await s.client.get("before2")).toBe("written first");
    const plain = `redis.call("SET", KEYS[1], "written first")\nreturn redis.call("HSET", KEYS[2], "g", "1")`;
    await expect(s.client.eval(plain, ["before3", "big-hash-2"], [])).rejects.toThrow("ERR max single record size exceeded");
    expect(await s.client.get("before3")).toBeNull();
  });

  it("refuses by the exact size, not a sample's guess: a 150 KB hash whose sample overstates it past 1 MB still takes writes", async () => {
    const direct = new DirectRedis(s.redisServer.url);
    try {
      // MEMORY USAGE … SAMPLES 5 multiplies the first 5 fields' mean by the field count: one 20 KB field
      // among 500 of 200 bytes, when it is among the 5, makes a 150 KB hash look like 2 MB
      let skewed: string | undefined;
      for (let k = 0; k < 2_000 && !skewed; k++) {
        const key = `skewed-${k}`;
        const p = direct.pipeline();
        for (let i = 0; i < 500; i++) p.hset(key, `f${i}`, "x".repeat(200));
        p.hset(key, `long-${k}`, "y".repeat(20_000));
        await p.exec();
        if (Number(await direct.call("MEMORY", "USAGE", key, "SAMPLES", "5")) >= MB) skewed = key;
        else await direct.del(key);
      }
      expect(skewed).toBeDefined(); // the overstated sample this test is about happened
      expect(Number(await direct.call("MEMORY", "USAGE", skewed!, "SAMPLES", "0"))).toBeLessThan(MB / 4);
      await s.client.hset(skewed!, { one: "1" });
      await s.rest.checkRecordSizes();
      expect(await s.client.hset(skewed!, { two: "2" })).toBe(1);
    } finally {
      direct.disconnect();
    }
  });

  it("a pipeline answers the refused write in place and runs the others", async () => {
    await fillPastLimit(() => s.client.append("big-string", CHUNK));
    const p = s.client.pipeline();
    p.set("p1", "a");
    p.append("big-string", "b");
    p.get("p1");
    const replies = await p.exec({ keepErrors: true });
    expect(replies.map((r) => r.error ?? r.result)).toEqual(["OK", "ERR max single record size exceeded", "a"]);
  });
});

describe("REST server: commands-per-second cap", () => {
  let s: { redisServer: RedisServerHandle; rest: RestServer; client: Redis };
  beforeAll(async () => void (s = await stack({ maxCommandsPerSecond: 100 })));
  afterAll(async () => {
    await s.rest.close();
    await s.redisServer.stop();
  });

  it("counts the calls inside scripts: 6 scripts of 60 calls need three one-second windows", async () => {
    const script = `for i = 1, 60 do redis.call("INCR", KEYS[1]) end return redis.call("GET", KEYS[1])`;
    const started = Date.now();
    for (let i = 0; i < 6; i++) await s.client.eval(script, ["counter"], []);
    // 61 billed commands each at 100/s: a window admits a script while it has used under 100, so
    // two per window; the first window may end at once, the second and third are whole seconds
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(Number(await s.client.get("counter"))).toBe(360);
  });

  it("is off by default: the record-size server above answered a burst of 500 commands within one window", async () => {
    const free = await stack({});
    try {
      const p = free.client.pipeline();
      for (let i = 0; i < 500; i++) p.incr("n");
      const started = Date.now();
      await p.exec();
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await free.rest.close();
      await free.redisServer.stop();
    }
  });
});
