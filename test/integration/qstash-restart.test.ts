import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { Client } from "@upstash/qstash";
import { startQStashServer, type QStashServerHandle } from "../../dev/qstash/index";
import { receiverForFile } from "../support/qstash-receiver";

// Servers of their own, on a key prefix of their own, so that stopping them touches no other test.
const credentials = { token: "restart-token", currentSigningKey: "sig_restart_current", nextSigningKey: "sig_restart_next" };
const keyPrefix = `test-qstash-restart-${randomBytes(4).toString("hex")}:`;
const receiver = receiverForFile();
const running = new Set<QStashServerHandle>();
const children = new Set<ChildProcess>();

async function start(port = 0): Promise<{ server: QStashServerHandle; client: Client }> {
  const server = await startQStashServer({ redisUrl: `redis://127.0.0.1:${inject("redisPort")}`, keyPrefix, port, closeGraceMs: 100, ...credentials });
  running.add(server);
  return { server, client: new Client({ baseUrl: server.url, token: credentials.token, retry: false }) };
}

async function stop(server: QStashServerHandle): Promise<void> {
  running.delete(server);
  await server.close();
}

/** The CLI as a user runs it, so that it can be killed for real. */
async function startProcess(): Promise<{ child: ChildProcess; client: Client }> {
  const child = spawn(process.execPath, [
    "--import", "tsx", "dev/qstash/main.ts", "--port", "0", "--key-prefix", keyPrefix,
    "--redis-url", `redis://127.0.0.1:${inject("redisPort")}`, "--token", credentials.token,
    "--current-key", credentials.currentSigningKey, "--next-key", credentials.nextSigningKey,
  ], { stdio: ["ignore", "pipe", "inherit"] });
  children.add(child);
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`dev server did not start: ${output}`)), 15_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += String(chunk);
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`dev server exited with ${code}: ${output}`)));
  });
  return { child, client: new Client({ baseUrl: url, token: credentials.token, retry: false }) };
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all([...running].map((server) => server.close()));
});

describe("QStash dev server: state survives a restart", () => {
  it("delivers after a restart what was accepted before it: delayed messages, retries and schedules", async () => {
    const delayed = receiver().route();
    let failing = true;
    const retried = receiver().route(() => ({ status: failing ? 500 : 200 }));
    const scheduled = receiver().route();
    const first = await start();
    const { messageId } = await first.client.publishJSON({ url: delayed.url, body: { survive: true }, delay: 1 });
    const retry = await first.client.publish({ url: retried.url, body: "retry me", retries: 3, retryDelay: "600" });
    await receiver().waitFor(retried.path, 1);
    const { scheduleId } = await first.client.schedules.create({ destination: scheduled.url, cron: "* * * * * *", body: "tick" });
    await stop(first.server);
    failing = false;
    expect(receiver().deliveriesTo(delayed.path)).toHaveLength(0);

    const ticksBefore = receiver().deliveriesTo(scheduled.path).length;
    const second = await start();
    const [delivery] = await receiver().waitFor(delayed.path, 1);
    expect(delivery?.headers["upstash-message-id"]).toBe(messageId);
    expect(JSON.parse(delivery?.body ?? "")).toEqual({ survive: true });
    const attempts = await receiver().waitFor(retried.path, 2);
    expect(attempts[1]?.headers["upstash-message-id"]).toBe(retry.messageId);
    expect(attempts[1]?.headers["upstash-retried"]).toBe("1");
    const ticks = await receiver().waitFor(scheduled.path, ticksBefore + 1, 3000);
    expect(ticks.at(-1)?.headers["upstash-schedule-id"]).toBe(scheduleId);
    await second.client.schedules.delete(scheduleId);
    await stop(second.server);
  });

  it("delivers again a message whose delivery was cut off by the server going down", async () => {
    let hold = true;
    const { url, path } = receiver().route(() => ({ status: 200, delayMs: hold ? 5000 : 0 }));
    const first = await start();
    const { messageId } = await first.client.publish({ url, body: "in flight" });
    await receiver().waitFor(path, 1);
    // The receiver holds the request open; close() gives up on it after its grace period.
    await stop(first.server);
    hold = false;
    const second = await start();
    const deliveries = await receiver().waitFor(path, 2);
    expect(deliveries.map((delivery) => delivery.headers["upstash-message-id"])).toEqual([messageId, messageId]);
    expect(deliveries[1]?.body).toBe("in flight");
    await stop(second.server);
  });

  it("delivers what was accepted before the dev server process was killed with SIGKILL", async () => {
    const { url, path } = receiver().route();
    const killed = await startProcess();
    const { messageId } = await killed.client.publishJSON({ url, body: { killed: true }, delay: 1 });
    const exited = new Promise((resolve) => killed.child.once("exit", resolve));
    killed.child.kill("SIGKILL");
    await exited;
    expect(receiver().deliveriesTo(path)).toHaveLength(0);
    const second = await start();
    const [delivery] = await receiver().waitFor(path, 1, 5000);
    expect(delivery?.headers["upstash-message-id"]).toBe(messageId);
    await stop(second.server);
  });

  it("keeps the DLQ, queues and flow-control pauses across a restart", async () => {
    const { url, path } = receiver().route(() => ({ status: 500 }));
    const paused = receiver().route();
    const key = `restart-paused-${paused.path.slice(1)}`;
    const first = await start();
    const { messageId } = await first.client.publish({ url, body: "dead", retries: 0 });
    await first.client.queue({ queueName: "restart-queue" }).upsert({ parallelism: 2 });
    await first.client.flowControl.pause(key);
    await first.client.publish({ url: paused.url, body: "held", flowControl: { key, parallelism: 1 } });
    await receiver().waitFor(path, 1);
    let entries = await first.client.dlq.listMessages({ filter: { messageId } });
    for (let tries = 0; entries.messages.length === 0 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      entries = await first.client.dlq.listMessages({ filter: { messageId } });
    }
    await stop(first.server);
    const second = await start();
    const after = await second.client.dlq.listMessages({ filter: { messageId } });
    expect(after.messages.map((message) => message.messageId)).toEqual([messageId]);
    expect(await second.client.queue({ queueName: "restart-queue" }).get()).toMatchObject({ name: "restart-queue", parallelism: 2 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver().deliveriesTo(paused.path)).toHaveLength(0);
    expect(await second.client.flowControl.get(key)).toMatchObject({ isPaused: true, waitListSize: 1 });
    await second.client.flowControl.resume(key);
    const [held] = await receiver().waitFor(paused.path, 1);
    expect(held?.body).toBe("held");
    await stop(second.server);
  });
});
