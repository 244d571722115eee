/**
 * `#!lua flags=allow-key-locking` through the REST server: accepted as Upstash accepts it (the
 * redis-server 7.0 below refuses the flag), run by EVAL, EVALSHA and SCRIPT LOAD under the SHA-1 the
 * client computed, and a key the script did not declare is refused as Upstash refuses it.
 */
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { deleteKeysWithPrefix, randomPrefix, testRedis } from "../support/redis-client";

const prefix = randomPrefix("rest-locking");
const redis = testRedis();
const key = (label: string) => `${prefix}${label}`;
afterAll(() => deleteKeysWithPrefix(prefix));

const flagged = (body: string) => `#!lua flags=allow-key-locking\n-- run ${prefix}\n${body}`;
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

describe("REST server: allow-key-locking", () => {
  it("runs a flagged script by EVAL, then by EVALSHA of the client's own SHA-1", async () => {
    const source = flagged(`return redis.call("INCRBY", KEYS[1], ARGV[1])`);
    await expect(redis.evalsha(sha1(source), [key("a")], ["1"])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.eval(source, [key("a")], ["2"])).toBe(2);
    expect(await redis.evalsha(sha1(source), [key("a")], ["3"])).toBe(5);
  });

  it("SCRIPT LOAD answers with the SHA-1 of the text sent, and SCRIPT EXISTS knows it", async () => {
    const source = flagged(`return redis.call("GET", KEYS[1])`);
    expect(await redis.scriptLoad(source)).toBe(sha1(source));
    expect(await redis.scriptExists(sha1(source))).toEqual([1]);
    await redis.set(key("b"), "v");
    expect(await redis.evalsha(sha1(source), [key("b")], [])).toBe("v");
  });

  it("refuses a key the script did not declare, before touching it", async () => {
    const source = flagged(`redis.call("SET", KEYS[1], "1")\nreturn redis.call("SET", ARGV[1], "x")`);
    await expect(redis.eval(source, [key("c")], [key("undeclared")])).rejects.toThrow(
      `ERR allow-key-locking: the script touches key '${key("undeclared")}', which it did not declare in KEYS`,
    );
    expect(await redis.get(key("undeclared"))).toBeNull();
    // multi-key commands check every key; keyless ones pass
    const multi = flagged(`redis.call("TIME")\nreturn redis.call("DEL", KEYS[1], ARGV[1])`);
    await expect(redis.eval(multi, [key("d")], [key("other")])).rejects.toThrow(/did not declare/);
  });

  it("keeps the script's line numbers in its errors and leaves scripts without the flag alone", async () => {
    const source = flagged(`local x = 1\nreturn x + KEYS[2]`);
    await expect(redis.eval(source, [key("e")], [])).rejects.toThrow(/user_script:4:/);
    expect(await redis.eval(`return redis.call("SET", ARGV[1], "free")`, [], [key("f")])).toBe("OK");
  });
});
