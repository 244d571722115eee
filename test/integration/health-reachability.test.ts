/**
 * GET /health's Redis check (src/http/health.ts): a good answer stands for a second, so checks
 * within it cost no Redis request; a failure is never kept. Counted on a REST server of its own.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { databasesReachability, HEALTH_REDIS_TTL_MS, redisReachability } from "../../src/http/health";
import { freePort } from "../../dev/redis-server";
import { restRedis } from "../support/redis-client";

let server: RestServer;
let refuseNext = false;
beforeAll(async () => {
  server = await startRestServer({ redisUrl: `redis://127.0.0.1:${inject("redisPort")}`, token: "health", poolSize: 1 });
  server.setFaults(() => {
    const fault = refuseNext ? ("error-before" as const) : undefined;
    refuseNext = false;
    return fault;
  });
});
afterAll(() => server.close());

describe("redisReachability", () => {
  it("asks Redis once per second at most while it answers, and again after every failure", async () => {
    const redis = restRedis(server.url, "health", { retry: { retries: 0 } });
    let now = 1_000_000;
    const clock = () => now;
    const requests = () => server.stats().requests;
    const start = requests();

    expect(await redisReachability(redis, clock)).toBe("PONG");
    now += HEALTH_REDIS_TTL_MS - 1;
    expect(await redisReachability(redis, clock)).toBe("PONG");
    expect(requests() - start).toBe(1);

    now += 1;
    refuseNext = true;
    await expect(redisReachability(redis, clock)).rejects.toThrow(/nothing was run/);
    expect(requests() - start).toBe(2);
    // the failure was not kept: the next check asks again, and its good answer stands
    expect(await redisReachability(redis, clock)).toBe("PONG");
    expect(await redisReachability(redis, clock)).toBe("PONG");
    expect(requests() - start).toBe(3);
    expect(server.stats().faults["error-before"]).toBe(1);
  });

  it("asks every database once per second at most, and names the one that does not answer", async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`; // a free port: no REST server answers there
    const databases = [
      { database: "main", redis: restRedis(server.url, "health", { retry: { retries: 0 } }) },
      { database: "other", redis: restRedis(server.url, "health", { retry: { retries: 0 } }) },
      { database: "gone", redis: restRedis(nobody, "health", { retry: { retries: 0 } }) },
    ];
    let now = 2_000_000;
    const start = server.stats().requests;
    const first = await databasesReachability(databases, () => now);
    expect(first.replies).toEqual({ main: "PONG", other: "PONG" });
    expect(first.down.map((d) => d.database)).toEqual(["gone"]);
    now += HEALTH_REDIS_TTL_MS - 1;
    expect((await databasesReachability(databases.slice(0, 2), () => now)).replies).toEqual({ main: "PONG", other: "PONG" });
    expect(server.stats().requests - start).toBe(2);
  });
});
