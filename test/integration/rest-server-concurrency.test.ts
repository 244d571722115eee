import { request, Agent } from "node:http";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, describe, expect, inject, it } from "vitest";
import { deleteKeysWithPrefix, randomPrefix, restRedis, testRedis } from "../support/redis-client";

const prefix = randomPrefix("rest-conc");
const key = (label: string) => `${prefix}${label}`;
afterAll(() => deleteKeysWithPrefix(prefix));

describe("REST server under concurrent requests", () => {
  it("keeps each multi/exec atomic while many run at once over the pool", async () => {
    const redis = testRedis();
    const results = await Promise.all(
      Array.from({ length: 200 }, () => {
        const tx = redis.multi();
        tx.incr(key("counter"));
        tx.get<number>(key("counter"));
        tx.incr(key("counter"));
        return tx.exec<[number, number, number]>();
      }),
    );
    for (const [first, read, second] of results) {
      expect(read).toBe(first); // nothing ran between the transaction's commands
      expect(second).toBe(first + 1);
    }
    expect(new Set(results.map(([first]) => first)).size).toBe(200);
    expect(await redis.get(key("counter"))).toBe(400);
  });

  it("answers concurrent pipelines in order, each on its own", async () => {
    const redis = testRedis({ enableAutoPipelining: false });
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const pipeline = redis.pipeline();
        pipeline.rpush(key(`list:${i}`), "a", "b");
        pipeline.lrange(key(`list:${i}`), 0, -1);
        pipeline.echo(`done ${i}`);
        return pipeline.exec();
      }),
    );
    replies.forEach((reply, i) => expect(reply).toEqual([2, ["a", "b"], `done ${i}`]));
  });

  it("keeps HTTP connections alive between requests", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ask = () =>
      new Promise<{ reused: boolean; body: string }>((resolve, reject) => {
        const sent = request(`${inject("restUrl")}/ping`, { agent, headers: { authorization: `Bearer ${inject("restToken")}` } }, (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve({ reused: sent.reusedSocket, body }));
        });
        sent.on("error", reject);
        sent.end();
      });
    expect(await ask()).toEqual({ reused: false, body: '{"result":"PONG"}' });
    expect(await ask()).toEqual({ reused: true, body: '{"result":"PONG"}' });
    agent.destroy();
  });
});

describe("REST server command line", () => {
  it("starts from main.ts, serves the real client and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "dev/rest-server/main.ts", "--redis-url", `redis://127.0.0.1:${inject("redisPort")}`, "--token", "cli-token"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const [line] = (await once(child.stdout!, "data")) as [Buffer];
      const url = /on (http:\/\/\S+)/.exec(line.toString())?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const { Redis } = await import("@upstash/redis");
      const client = restRedis(url!, "cli-token");
      expect(await client.echo("via cli")).toBe("via cli");
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("refuses to start without a token", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "dev/rest-server/main.ts"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, UPSTASH_REDIS_REST_TOKEN: "" } });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toMatch(/--token/);
  });
});
