import { errors } from "@upstash/redis";
import { afterAll, describe, expect, it } from "vitest";
import { deleteKeysWithPrefix, randomPrefix, testRedis } from "../support/redis-client";

const prefix = randomPrefix("rest-scripts");
const redis = testRedis();
const key = (label: string) => `${prefix}${label}`;

afterAll(() => deleteKeysWithPrefix(prefix));

// A script unique to this run, so SCRIPT FLUSH in another file or run cannot make the "not loaded
// yet" assertions pass or fail by accident.
const counterScript = `
-- KEYS[1]: counter; ARGV[1]: increment; ARGV[2]: run marker ${prefix}
-- returns {new value, the marker, a nested table}
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
return {value, ARGV[2], {'nested', value * 2}}
`;

describe("REST server: Lua scripts", () => {
  it("EVAL returns nested replies with numbers and strings", async () => {
    expect(await redis.eval(counterScript, [key("c1")], ["5", "marker"])).toEqual([5, "marker", ["nested", 10]]);
  });

  it("SCRIPT LOAD then EVALSHA; an unknown sha surfaces NOSCRIPT as an UpstashError", async () => {
    const sha = await redis.scriptLoad("return ARGV[1] .. '!'");
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await redis.evalsha(sha, [], ["hi"])).toBe("hi!");
    const unknown = redis.evalsha("0".repeat(40), [], []);
    await expect(unknown).rejects.toBeInstanceOf(errors.UpstashError);
    await expect(redis.evalsha("0".repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("createScript uses EVALSHA once loaded and falls back to EVAL after SCRIPT FLUSH", async () => {
    // Distinct text from the EVAL test above, so it is not loaded yet.
    const script = redis.createScript<[number, string, [string, number]]>(`${counterScript}-- createScript`);
    await expect(script.evalsha([key("c2")], ["1", "m"])).rejects.toThrow(/NOSCRIPT/);
    expect(await script.exec([key("c2")], ["1", "m"])).toEqual([1, "m", ["nested", 2]]);
    // The fallback EVAL loaded it: a plain EVALSHA now works.
    expect(await script.evalsha([key("c2")], ["1", "m"])).toEqual([2, "m", ["nested", 4]]);
    await redis.scriptFlush();
    await expect(script.evalsha([key("c2")], ["1", "m"])).rejects.toThrow(/NOSCRIPT/);
    expect(await script.exec([key("c2")], ["1", "m"])).toEqual([3, "m", ["nested", 6]]);
  });

  it("a script error surfaces as an UpstashError with Redis's message", async () => {
    await expect(redis.eval("return redis.call('NOPE')", [], [])).rejects.toThrow(/Unknown Redis command|unknown command/i);
    await expect(redis.eval("return redis.error_reply('MYERR custom')", [], [])).rejects.toThrow(/MYERR custom/);
  });

  it("scripts run inside multi/exec and pipelines", async () => {
    const tx = redis.multi();
    tx.eval(counterScript, [key("c3")], ["2", "tx"]);
    tx.get(key("c3"));
    expect(await tx.exec()).toEqual([[2, "tx", ["nested", 4]], 2]);
  });
});
