/**
 * Why a self-hosted Redis behind the REST API needs AOF (README, "Deploying"): tasks enqueued and
 * acknowledged survive a crash of redis-server (SIGKILL, then a restart on the same data directory)
 * with `appendonly yes`, and are lost without it. Upstash persists by itself.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "@upstash/redis";
import { describe, expect, it } from "vitest";
import { startRedisServer } from "../../dev/redis-server";
import { startRestServer } from "../../dev/rest-server/index";
import { createTaskQueue, QueueNotFoundError } from "../../src/queue/index";
import { RAW_REPLIES, restRedis } from "../support/redis-client";

/** Enqueues tasks, kills redis-server, restarts it on the same files; how many tasks it still has. */
async function tasksAfterCrash(appendOnly: boolean, count: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "edgeq-persist-"));
  let redis = await startRedisServer({ appendOnly, dir });
  const rest = await startRestServer({ redisUrl: redis.url, token: "persist" });
  try {
    const queue = createTaskQueue(restRedis(rest.url, "persist", RAW_REPLIES));
    const enqueued = await queue.enqueue("persist", Array.from({ length: count }, (_, i) => ({ fn: "echo", input: i })));
    expect(enqueued).toHaveLength(count);
    // appendfsync everysec: what was acknowledged reaches the file within a second.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const { port } = redis;
    redis.process.kill("SIGKILL");
    await redis.stop();
    redis = await startRedisServer({ appendOnly, dir, port });
    // Without AOF the queue itself is gone: its registry entry was lost with the tasks.
    const summary = await queue.getQueue("persist").catch((error: unknown) => {
      if (error instanceof QueueNotFoundError) return null;
      throw error;
    });
    return summary?.counts.queued ?? 0;
  } finally {
    await rest.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("redis-server persistence", () => {
  it("keeps every acknowledged task across a crash with AOF, and loses them without it", async () => {
    expect(await tasksAfterCrash(true, 200)).toBe(200);
    expect(await tasksAfterCrash(false, 200)).toBe(0);
  }, 60_000);
});
