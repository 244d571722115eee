/** Placement of queues on databases (src/runtime/databases.ts): rendezvous hashing, overrides, configuration errors. */
import { describe, expect, it } from "vitest";
import { DatabaseConfigError, databasesFromEnv, queueOverrides, queuePlacement, rendezvous } from "../../src/runtime/databases";

const queues = Array.from({ length: 12_000 }, (_, i) => `queue-${i}`);
const main = { UPSTASH_REDIS_REST_URL: "https://main.example", UPSTASH_REDIS_REST_TOKEN: "t0" };
const shard = (name: string) => ({ name, url: `https://${name}.example`, token: `t-${name}` });

function shares(names: string[]): Map<string, number> {
  const counts = new Map(names.map((name) => [name, 0]));
  for (const queue of queues) counts.set(rendezvous(queue, names), counts.get(rendezvous(queue, names))! + 1);
  return counts;
}

describe("queue placement", () => {
  it("spreads queues evenly: each of three databases gets a third, within 5%", () => {
    for (const [, count] of shares(["main", "db1", "db2"])) expect(Math.abs(count - queues.length / 3)).toBeLessThan(queues.length * 0.05);
  });

  it("does not depend on the order the databases are listed in", () => {
    for (const queue of queues.slice(0, 500)) expect(rendezvous(queue, ["main", "db1", "db2"])).toBe(rendezvous(queue, ["db2", "main", "db1"]));
  });

  it("moves only the new database's share when one is added, and only the removed one's queues when one goes", () => {
    const before = queues.map((queue) => rendezvous(queue, ["main", "db1", "db2"]));
    const after = queues.map((queue) => rendezvous(queue, ["main", "db1", "db2", "db3"]));
    const moved = queues.flatMap((_, i) => (before[i] !== after[i] ? [after[i]] : []));
    expect(new Set(moved)).toEqual(new Set(["db3"]));
    expect(Math.abs(moved.length - queues.length / 4)).toBeLessThan(queues.length * 0.05);
    const removed = queues.map((queue) => rendezvous(queue, ["main", "db2"]));
    queues.forEach((_, i) => {
      if (before[i] !== "db1") expect(removed[i]).toBe(before[i]);
    });
  });

  it("puts a queue named in the overrides on its database, the others by hashing", () => {
    const databases = databasesFromEnv({ ...main, EDGEQ_REDIS_SHARDS: JSON.stringify([shard("db1"), shard("db2")]) });
    const winner = rendezvous("reports", ["main", "db1", "db2"]);
    const pinnedTo = winner === "db1" ? "db2" : "db1";
    const placeOf = queuePlacement(databases, queueOverrides(JSON.stringify({ reports: pinnedTo }), databases));
    expect(placeOf("reports")).toBe(pinnedTo);
    expect(placeOf("queue-7")).toBe(rendezvous("queue-7", ["main", "db1", "db2"]));
  });
});

describe("database configuration", () => {
  it("is the main database alone without EDGEQ_REDIS_SHARDS, and the main one first with it", () => {
    expect(databasesFromEnv(main)).toEqual([{ name: "main", url: main.UPSTASH_REDIS_REST_URL, token: "t0" }]);
    expect(databasesFromEnv({ ...main, EDGEQ_REDIS_SHARDS: JSON.stringify([shard("eu2")]) }).map((d) => d.name)).toEqual(["main", "eu2"]);
  });

  it.each([
    ["not json", /EDGEQ_REDIS_SHARDS is not valid JSON/],
    [JSON.stringify({ name: "a" }), /must be a JSON list/],
    [JSON.stringify([{ url: "https://x", token: "t" }]), /EDGEQ_REDIS_SHARDS\[0\]\.name/],
    [JSON.stringify([shard("main")]), /"main" is UPSTASH_REDIS_REST_URL's database/],
    [JSON.stringify([{ name: "a", url: "redis://x", token: "t" }]), /EDGEQ_REDIS_SHARDS\[0\]\.url/],
    [JSON.stringify([{ name: "a", url: "https://x", token: "" }]), /EDGEQ_REDIS_SHARDS\[0\]\.token/],
    [JSON.stringify([shard("a"), shard("a")]), /names "a" twice/],
  ])("refuses EDGEQ_REDIS_SHARDS=%s, naming what is wrong", (text, message) => {
    expect(() => databasesFromEnv({ ...main, EDGEQ_REDIS_SHARDS: text })).toThrow(DatabaseConfigError);
    expect(() => databasesFromEnv({ ...main, EDGEQ_REDIS_SHARDS: text })).toThrow(message);
  });

  it("refuses an override naming no database of the deployment", () => {
    const databases = databasesFromEnv({ ...main, EDGEQ_REDIS_SHARDS: JSON.stringify([shard("db1")]) });
    expect(() => queueOverrides(JSON.stringify({ reports: "db9" }), databases)).toThrow(/EDGEQ_QUEUE_SHARDS.reports names "db9"/);
    expect(() => queueOverrides("[]", databases)).toThrow(/must be a JSON object/);
  });
});
