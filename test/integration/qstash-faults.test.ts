import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { Client } from "@upstash/qstash";
import { startQStashServer, type QStashServerHandle } from "../../dev/qstash/index";
import { receiverForFile } from "../support/qstash-receiver";

// A server of its own: fault switches apply to every delivery of a server, so the shared one stays clean.
const receiver = receiverForFile();
let server: QStashServerHandle;
let client: Client;

beforeAll(async () => {
  server = await startQStashServer({
    redisUrl: `redis://127.0.0.1:${inject("redisPort")}`,
    keyPrefix: `test-qstash-faults-${randomBytes(4).toString("hex")}:`,
    token: "faults-token", currentSigningKey: "sig_faults_a", nextSigningKey: "sig_faults_b",
  });
  client = new Client({ baseUrl: server.url, token: "faults-token", retry: false });
});
afterAll(async () => {
  await server.close();
});

describe("QStash dev server: fault injection for chaos tests", () => {
  it("delivers every message twice when duplicates are switched on, and once again when switched off", async () => {
    const { url, path } = receiver().route();
    server.setFaults({ duplicateProbability: 1 });
    const { messageId } = await client.publish({ url, body: "twice" });
    const deliveries = await receiver().waitFor(path, 2);
    expect(deliveries.map((delivery) => delivery.headers["upstash-message-id"])).toEqual([messageId, messageId]);
    server.setFaults({});
    const once = receiver().route();
    await client.publish({ url: once.url, body: "once" });
    await receiver().waitFor(once.path, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver().deliveriesTo(once.path)).toHaveLength(1);
  });

  it("still delivers every message, once each, when deliveries are delayed at random (late and out of order)", async () => {
    const { url, path } = receiver().route();
    server.setFaults({ maxExtraDelayMs: 300 });
    const published = await client.batchJSON(Array.from({ length: 10 }, (_, index) => ({ url, body: { index } })));
    const deliveries = await receiver().waitFor(path, 10);
    server.setFaults({});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver().deliveriesTo(path)).toHaveLength(10);
    expect(new Set(deliveries.map((delivery) => delivery.headers["upstash-message-id"]))).toEqual(new Set(published.map((result) => result.messageId)));
  });
});
