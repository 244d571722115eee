/**
 * The QStash dev server's filters and edits as QStash documents them: DLQ retry and delete select by
 * every filter field the SDK sends (callerIp included) and refuse the host/path filters QStash's DLQ
 * refuses; a bulk cancel takes at most `count` per call; editing a schedule (create with its
 * Upstash-Schedule-Id) clears what the edit leaves out.
 */
import { Client } from "@upstash/qstash";
import { describe, expect, inject, it } from "vitest";
import { startQStashServer } from "../../dev/qstash/index";
import { receiverForFile, testQStash } from "../support/qstash-receiver";

const receiver = receiverForFile();
const qstash = testQStash();

/** Publishes to a destination that always fails, with no retries, and waits for its DLQ entry. */
async function deadMessage() {
  const { url } = receiver().route(() => ({ status: 500, body: "no" }));
  const { messageId } = await qstash.publish({ url, body: "dead", retries: 0 });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const [entry] = (await qstash.dlq.listMessages({ filter: { messageId } })).messages;
    if (entry) return entry as typeof entry & { callerIp?: string };
    if (Date.now() > deadline) throw new Error(`message ${messageId} did not reach the DLQ`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("QStash dev server: DLQ filters", () => {
  it("deletes and retries by callerIp, as the SDK's DLQ filter sends it", async () => {
    const [first, second] = [await deadMessage(), await deadMessage()];
    expect(first.callerIp).toBeTruthy();
    const ip = first.callerIp as string;
    // Another caller's address selects nothing and deletes nothing.
    await expect(qstash.dlq.delete({ filter: { callerIp: "203.0.113.9", messageId: first.messageId } })).resolves.toMatchObject({ deleted: 0 });
    await expect(qstash.dlq.delete({ filter: { callerIp: ip, messageId: first.messageId } })).resolves.toMatchObject({ deleted: 1 });
    const retried = await qstash.dlq.retry({ filter: { callerIp: ip, messageId: second.messageId } });
    expect(retried.responses).toHaveLength(1);
    expect((await qstash.dlq.listMessages({ dlqIds: [first.dlqId, second.dlqId] })).messages).toEqual([]);
  });

  it("refuses the host and path filters, which QStash's DLQ does not take", async () => {
    await expect(qstash.dlq.delete({ filter: { host: "127.0.0.1" } } as never)).rejects.toMatchObject({ status: 400 });
    await expect(qstash.dlq.retry({ filter: { path: "/x" } } as never)).rejects.toMatchObject({ status: 400 });
  });
});

describe("QStash dev server: bulk cancel", () => {
  it("cancels at most `count` per call, with a filter and with all: true, until none is left", async () => {
    const { url } = receiver().route();
    const label = `cap-${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 5; i++) await qstash.publish({ url, body: String(i), delay: 3_600, label });
    await expect(qstash.messages.cancel({ filter: { label }, count: 2 })).resolves.toEqual({ cancelled: 2 });
    await expect(qstash.messages.cancel({ filter: { label }, count: 2 })).resolves.toEqual({ cancelled: 2 });
    await expect(qstash.messages.cancel({ filter: { label }, count: 2 })).resolves.toEqual({ cancelled: 1 });
    await expect(qstash.messages.cancel({ filter: { label } })).resolves.toEqual({ cancelled: 0 });
  });

  it("with all: true, cancels the SDK's batch of 100 per call (on a server of its own: all means all)", async () => {
    const own = await startQStashServer({
      redisUrl: `redis://127.0.0.1:${inject("redisPort")}`,
      keyPrefix: `test-qstash-cancel-${crypto.randomUUID().slice(0, 8)}:`,
      token: "cancel-token", currentSigningKey: "sig_cancel_a", nextSigningKey: "sig_cancel_b",
    });
    try {
      const client = new Client({ baseUrl: own.url, token: "cancel-token", retry: false });
      const { url } = receiver().route();
      await client.batch(Array.from({ length: 120 }, (_, i) => ({ url, body: String(i), delay: 3_600 })));
      await expect(client.messages.cancel({ all: true })).resolves.toEqual({ cancelled: 100 });
      await expect(client.messages.cancel({ all: true })).resolves.toEqual({ cancelled: 20 });
      await expect(client.messages.cancel({ all: true })).resolves.toEqual({ cancelled: 0 });
    } finally {
      await own.close();
    }
  });
});

describe("QStash dev server: schedule edits", () => {
  it("clears the fields an edit leaves out, keeping only what the edit sends", async () => {
    const { url } = receiver().route();
    const full = await qstash.schedules.create({
      destination: url,
      cron: "0 0 1 1 *",
      body: "full",
      headers: { "x-kind": "full" },
      delay: 30,
      retries: 1,
      callback: url,
      failureCallback: url,
      label: "edited",
    });
    const before = await qstash.schedules.get(full.scheduleId);
    expect(before).toMatchObject({ callback: url, failureCallback: url, retries: 1, delay: 30 });
    await qstash.schedules.create({ scheduleId: full.scheduleId, destination: url, cron: "0 0 2 1 *" });
    const after = await qstash.schedules.get(full.scheduleId);
    expect(after).toMatchObject({ scheduleId: full.scheduleId, cron: "0 0 2 1 *" });
    expect(after.callback).toBeUndefined();
    expect(after.failureCallback).toBeUndefined();
    expect(after.body).toBeFalsy();
    expect(after.delay ?? 0).toBe(0);
    expect(after.retries).not.toBe(1);
    expect(JSON.stringify(after.header ?? {})).not.toContain("full");
    expect(JSON.stringify(after)).not.toContain("edited");
    await qstash.schedules.delete(full.scheduleId);
  });
});
