import { type Redis, errors } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerHandle } from "../../dev/redis-server";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { restRedis } from "../support/redis-client";

// A private redis-server, so stopping it disturbs no other test file.
describe("REST server when redis-server goes away and comes back", () => {
  let redisServer: RedisServerHandle;
  let rest: RestServer;
  let client: Redis;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    rest = await startRestServer({ redisUrl: redisServer.url, token: "outage", poolSize: 2 });
    client = restRedis(rest.url, "outage", { retry: false });
  });
  afterAll(async () => {
    await rest.close();
    await redisServer.stop();
  });

  it("answers 500 with an error while Redis is down, and serves again after a restart", async () => {
    expect(await client.set("k", "before")).toBe("OK");
    const port = redisServer.port;
    await redisServer.stop();

    const response = await fetch(rest.url, { method: "POST", headers: { authorization: "Bearer outage" }, body: JSON.stringify(["GET", "k"]) });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: expect.any(String) });
    await expect(client.get("k")).rejects.toBeInstanceOf(errors.UpstashError);

    redisServer = await startRedisServer({ port });
    // ioredis reconnects with backoff; the first requests after the restart may still fail.
    let answer: unknown;
    for (let attempt = 0; attempt < 50 && answer !== "after"; attempt++) {
      answer = await client.set("k", "after").then(() => client.get("k"), () => undefined);
      if (answer !== "after") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answer).toBe("after");
  });
});
