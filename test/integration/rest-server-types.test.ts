import { afterAll, describe, expect, it } from "vitest";
import { deleteKeysWithPrefix, randomPrefix, testRedis } from "../support/redis-client";

// Data types through the real client, once auto-pipelined (the default: calls arrive at /pipeline) and
// once command by command (POST /), with base64 response encoding on (the default) and off.
const prefix = randomPrefix("rest-types");
const variants = [
  { name: "auto-pipelined, base64", options: {} },
  { name: "one request per command, base64", options: { enableAutoPipelining: false } },
  { name: "auto-pipelined, plain JSON", options: { responseEncoding: false as const } },
  { name: "one request per command, plain JSON", options: { enableAutoPipelining: false, responseEncoding: false as const } },
];

afterAll(() => deleteKeysWithPrefix(prefix));

describe.each(variants)("REST server data types ($name)", ({ name, options }) => {
  const redis = testRedis(options);
  const key = (label: string) => `${prefix}${name.replace(/\W+/g, "-")}:${label}`;

  it("hashes come back as objects built from Upstash's flat arrays", async () => {
    expect(await redis.hset(key("h"), { name: "ada", age: 36, tags: ["x", "y"] })).toBe(3);
    expect(await redis.hget(key("h"), "name")).toBe("ada");
    expect(await redis.hgetall(key("h"))).toEqual({ name: "ada", age: 36, tags: ["x", "y"] });
    expect(await redis.hmget(key("h"), "name", "missing")).toEqual({ name: "ada", missing: null });
    expect(await redis.hincrby(key("h"), "age", 1)).toBe(37);
    expect((await redis.hkeys(key("h"))).sort()).toEqual(["age", "name", "tags"]);
    expect(await redis.hgetall(key("none"))).toBeNull();
  });

  it("lists keep order, and pops return values or null", async () => {
    expect(await redis.rpush(key("l"), "a", "b", "c")).toBe(3);
    expect(await redis.lpush(key("l"), "z")).toBe(4);
    expect(await redis.lrange(key("l"), 0, -1)).toEqual(["z", "a", "b", "c"]);
    expect(await redis.lpop(key("l"))).toBe("z");
    expect(await redis.rpop(key("l"), 2)).toEqual(["c", "b"]);
    expect(await redis.llen(key("l"))).toBe(1);
    expect(await redis.lpop(key("empty"))).toBeNull();
  });

  it("sets answer membership and contents", async () => {
    expect(await redis.sadd(key("s"), "a", "b", "c")).toBe(3);
    expect(await redis.sismember(key("s"), "b")).toBe(1);
    expect(await redis.sismember(key("s"), "q")).toBe(0);
    expect((await redis.smembers(key("s"))).sort()).toEqual(["a", "b", "c"]);
    expect(await redis.scard(key("s"))).toBe(3);
  });

  it("sorted sets return members with scores as a flat array", async () => {
    await redis.zadd(key("z"), { score: 2, member: "two" }, { score: 1.5, member: "one-and-half" }, { score: -3, member: "neg" });
    expect(await redis.zrange(key("z"), 0, -1)).toEqual(["neg", "one-and-half", "two"]);
    expect(await redis.zrange(key("z"), 0, -1, { withScores: true })).toEqual(["neg", -3, "one-and-half", 1.5, "two", 2]);
    expect(await redis.zscore(key("z"), "one-and-half")).toBe(1.5);
    expect(await redis.zrank(key("z"), "two")).toBe(2);
    expect(await redis.zpopmin(key("z"), 1)).toEqual(["neg", -3]);
    expect(await redis.zrange(key("z"), 1, 2, { byScore: true })).toEqual(["one-and-half", "two"]);
  });

  it("scan walks every key under a pattern", async () => {
    const keys = Array.from({ length: 25 }, (_, i) => key(`scan:${i}`));
    await Promise.all(keys.map((k) => redis.set(k, 1)));
    const seen = new Set<string>();
    let cursor: string | number = 0;
    do {
      const [next, batch]: [string, string[]] = await redis.scan(cursor, { match: key("scan:*"), count: 10 });
      batch.forEach((k) => seen.add(k));
      cursor = next;
    } while (String(cursor) !== "0");
    expect([...seen].sort()).toEqual([...keys].sort());
  });

  it("expire, ttl and persist", async () => {
    await redis.set(key("e"), "v");
    expect(await redis.ttl(key("e"))).toBe(-1);
    expect(await redis.expire(key("e"), 100)).toBe(1);
    const ttl = await redis.ttl(key("e"));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.pttl(key("e"))).toBeGreaterThan(90_000);
    expect(await redis.persist(key("e"))).toBe(1);
    expect(await redis.ttl(key("e"))).toBe(-1);
    expect(await redis.ttl(key("never-set"))).toBe(-2);
    await redis.set(key("px"), "v", { px: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await redis.get(key("px"))).toBeNull();
  });

  it("JSON values and UTF-8 text survive unchanged", async () => {
    const value = { text: "héllo wörld — 日本語 🚀", nested: { list: [1, 2.5, -3, true, null], empty: "" }, quote: "\"\\\n" };
    await redis.set(key("json"), value);
    expect(await redis.get(key("json"))).toEqual(value);
    await redis.set(key("utf8"), "ünïcödé ✓ 🎉");
    expect(await redis.get(key("utf8"))).toBe("ünïcödé ✓ 🎉");
    expect(await redis.strlen(key("utf8"))).toBe(Buffer.byteLength("ünïcödé ✓ 🎉"));
    await redis.hset(key("hutf8"), { "clé": "välue ✓" });
    expect(await redis.hgetall(key("hutf8"))).toEqual({ "clé": "välue ✓" });
  });

  it("strings that are valid base64 by accident are not decoded twice", async () => {
    for (const text of ["test", "abcd", "YmFy", "OK", "QUJD", "aGVsbG8="]) {
      await redis.set(key(`b64:${text}`), text);
      expect(await redis.get<string>(key(`b64:${text}`))).toBe(text);
    }
    await redis.rpush(key("b64list"), "test", "abcd");
    expect(await redis.lrange(key("b64list"), 0, -1)).toEqual(["test", "abcd"]);
  });
});

describe("REST server with automaticDeserialization off", () => {
  const redis = testRedis({ automaticDeserialization: false });
  const key = (label: string) => `${prefix}raw:${label}`;

  it("returns the stored text as is, and maps as Upstash's flat arrays", async () => {
    await redis.set(key("json"), JSON.stringify({ a: 1 }));
    expect(await redis.get(key("json"))).toBe('{"a":1}');
    await redis.set(key("num"), "42");
    expect(await redis.get(key("num"))).toBe("42");
    await redis.hset(key("h"), { f: "123" });
    expect(await redis.hgetall(key("h"))).toEqual(["f", "123"]);
    await redis.zadd(key("z"), { score: 7, member: "m" });
    expect(await redis.zrange(key("z"), 0, -1, { withScores: true })).toEqual(["m", "7"]);
  });
});
