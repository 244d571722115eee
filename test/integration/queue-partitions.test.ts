/**
 * The partition of a task id is computed twice: by TypeScript (ids.ts partitionOf, for the keys a call
 * sends) and by Lua (pieces/partitions.ts partOf, for ids a script finds itself). They must agree on
 * every id, or a script would look for a record in a partition it was not given.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dedupPartitionOf, newTaskId, partitionOf, TASK_ID_PATTERN } from "../../src/queue/ids";
import { queueKeys } from "../../src/queue/keys";
import { LUA_PARTITIONS } from "../../src/queue/scripts/pieces/partitions";
import { defineQueueScript } from "../../src/queue/scripts/queue-script";
import { runScript } from "../../src/queue/scripts/runner";
import { rawTestRedis } from "../support/redis-client";

const partitionsOf = defineQueueScript({
  name: "partitionsOf",
  summary: "(test) the partition of each id, by the Lua rule",
  keys: ["meta"],
  uses: [LUA_PARTITIONS],
  readOnly: true,
  partitioned: true,
  contract: "ARGV: local ids, or \"=\" then a dedup key. Returns their partition labels, and META's name (read here so that the key is used).",
  body: String.raw`
local out = {}
for i, id in ipairs(ARGV) do out[i] = string.sub(id, 1, 1) == "=" and dedupPartOf(string.sub(id, 2)) or partOf(id) end
out[#out + 1] = META
return out
`,
});

async function luaLabels(ids: string[]): Promise<string[]> {
  const reply = (await runScript(rawTestRedis(), partitionsOf, queueKeys("parts", "q", partitionsOf.keys), ids)) as string[];
  return reply.slice(0, -1).map(String);
}

const ID_CHARS = "ABCDEFGHJKMNPQRSTVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-";

describe("partition of a task id", () => {
  it("is the same in TypeScript and in Lua, for ULIDs, numbered ids and any other", async () => {
    const now = Date.now();
    const ids = [
      newTaskId(now), newTaskId(now), newTaskId(now + 40), newTaskId(now).toLowerCase(),
      "job-0", "job-99", "job-100", "01JD3Q7Y8Z9ABCDEFGHJKMNPQR-12345", "01JD3Q7Y8Z9ABCDEFGHJKMNPQR-split-5000",
      "123", "1e3", "true", "null", "a", "order.7", "x:y", "-", "12345678901234567890123456", "A".repeat(128),
    ];
    expect(await luaLabels(ids)).toEqual(ids.map(partitionOf));
    const random = fc.sample(fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 40 }), { numRuns: 500, seed: 13 });
    expect(random.every((id) => TASK_ID_PATTERN.test(id))).toBe(true);
    expect(await luaLabels(random)).toEqual(random.map(partitionOf));
  });

  it("of a dedup key is the same in TypeScript and in Lua, over its UTF-8 bytes; numbered keys share", async () => {
    const keys = ["k1", "k,2", "order-12345", "é", "日本語のキー", "emoji 🎉", "a\nb|c%d", "a\n12345", "é99", "x".repeat(512), newTaskId(Date.now())];
    const random = fc.sample(fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }), { numRuns: 300, seed: 7 });
    const numbered = fc.sample(fc.tuple(fc.string({ unit: "grapheme", maxLength: 10 }), fc.nat()).map(([stem, n]) => `${stem}${n}`), { numRuns: 200, seed: 8 });
    const all = [...keys, ...random, ...numbered];
    expect(await luaLabels(all.map((key) => `=${key}`))).toEqual(all.map(dedupPartitionOf));
    // a batch of numbered keys touches few partitions (each a command or two for the whole batch)
    expect(new Set(Array.from({ length: 100 }, (_, i) => dedupPartitionOf(`order-${1000 + i}`))).size).toBe(1);
  });

  it("keeps a batch together and bounds what shares a partition", () => {
    const now = Date.now();
    const batch = Array.from({ length: 1000 }, () => newTaskId(now));
    expect(new Set(batch.map(partitionOf)).size).toBe(1);
    expect(new Set(Array.from({ length: 1000 }, (_, i) => partitionOf(`job-${i}`))).size).toBe(10);
    const hashed = new Set(Array.from({ length: 20_000 }, (_, i) => partitionOf(`order-${i}-x`)));
    expect(hashed.size).toBeGreaterThan(1000);
  });
});
