import { errors } from "@upstash/redis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { deleteKeysWithPrefix, randomPrefix, restRedis, testRedis } from "../support/redis-client";

const prefix = randomPrefix("rest-core");
const redis = testRedis();
const key = (name: string) => `${prefix}${name}`;

afterAll(() => deleteKeysWithPrefix(prefix));

describe("REST server: single commands, pipeline and multi-exec through @upstash/redis", () => {
  it("round-trips strings, counters and JSON values", async () => {
    expect(await redis.set(key("s"), "hello")).toBe("OK");
    expect(await redis.get(key("s"))).toBe("hello");
    expect(await redis.incrby(key("n"), 5)).toBe(5);
    expect(await redis.set(key("j"), { a: [1, "two", null], ok: true })).toBe("OK");
    expect(await redis.get(key("j"))).toEqual({ a: [1, "two", null], ok: true });
    expect(await redis.get(key("missing"))).toBeNull();
  });

  it("runs a pipeline in order with errors in place", async () => {
    const pipeline = redis.pipeline();
    pipeline.set(key("p"), "text");
    pipeline.incr(key("p"));
    pipeline.get(key("p"));
    const results = await pipeline.exec({ keepErrors: true });
    expect(results.map((entry) => entry.result)).toEqual(["OK", undefined, "text"]);
    expect(results[1]?.error).toMatch(/not an integer/);
  });

  it("runs multi/exec atomically and returns every reply", async () => {
    const tx = redis.multi();
    tx.set(key("m"), 1);
    tx.incr(key("m"));
    tx.get(key("m"));
    expect(await tx.exec()).toEqual(["OK", 2, 2]);
  });

  it("surfaces command errors as UpstashError", async () => {
    await redis.set(key("str"), "x");
    const failure = redis.lpush(key("str"), "y");
    await expect(failure).rejects.toBeInstanceOf(errors.UpstashError);
    await expect(redis.lpush(key("str"), "y")).rejects.toThrow(/WRONGTYPE/);
  });

  it("refuses a wrong token with 401 and an UpstashError", async () => {
    const wrong = restRedis(inject("restUrl"), "wrong", { retry: false });
    await expect(wrong.get(key("s"))).rejects.toBeInstanceOf(errors.UpstashError);
    await expect(wrong.get(key("s"))).rejects.toThrow(/WRONGPASS/);
  });
});
