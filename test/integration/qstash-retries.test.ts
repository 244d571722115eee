import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { Receiver as SignatureReceiver } from "@upstash/qstash";
import { receiverForFile, testQStash } from "../support/qstash-receiver";

const receiver = receiverForFile();
const qstash = testQStash();


async function dlqEntryOf(messageId: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { messages } = await qstash.dlq.listMessages({ filter: { messageId } });
    if (messages[0]) return messages[0];
    if (Date.now() > deadline) throw new Error(`message ${messageId} did not reach the DLQ within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The states of a message's log, oldest first, once the log shows `last`. */
async function logStates(messageId: string, last: string, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { logs } = await qstash.logs({ filter: { messageId } });
    const states = logs.map((log) => log.state).reverse();
    if (states.at(-1) === last || Date.now() > deadline) return states;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.concurrent("QStash dev server: retries, DLQ and callbacks", () => {
  it("retries a failing delivery with Upstash-Retried counting up, then moves it to the DLQ with the last response", async () => {
    const { url, path } = receiver().route(() => ({ status: 500, body: "boom" }));
    const { messageId } = await qstash.publishJSON({ url, body: { job: 1 }, retries: 2, retryDelay: "50 * (1 + retried)" });
    const attempts = await receiver().waitFor(path, 3);
    expect(attempts.map((attempt) => attempt.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    expect(new Set(attempts.map((attempt) => attempt.headers["upstash-message-id"]))).toEqual(new Set([messageId]));
    // Backoff from the expression: 50 ms after the first failure, 100 ms after the second.
    expect((attempts[1]?.receivedAt ?? 0) - (attempts[0]?.receivedAt ?? 0)).toBeGreaterThanOrEqual(50);
    expect((attempts[2]?.receivedAt ?? 0) - (attempts[1]?.receivedAt ?? 0)).toBeGreaterThanOrEqual(100);
    const entry = await dlqEntryOf(messageId);
    expect(entry).toMatchObject({ messageId, url, responseStatus: 500, responseBody: "boom", maxRetries: 2 });
    expect(JSON.parse(entry.body ?? "")).toEqual({ job: 1 });
    await expect(qstash.messages.get(messageId)).rejects.toMatchObject({ status: 404 });
    const states = await logStates(messageId, "FAILED");
    expect(states).toEqual(["CREATED", "ACTIVE", "ERROR", "RETRY", "ACTIVE", "ERROR", "RETRY", "ACTIVE", "ERROR", "FAILED"]);
  });

  it("retries when the destination's Retry-After says, and not at all after a 489 marked non-retryable", async () => {
    let answered = 0;
    const later = receiver().route(() => (answered++ === 0 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 }));
    const fatal = receiver().route(() => ({ status: 489, headers: { "upstash-nonretryable-error": "true" } }));
    // Without the hint the retry would come after QStash's default 12 s, beyond the wait below.
    await qstash.publish({ url: later.url, body: "hinted", retries: 3 });
    const { messageId } = await qstash.publish({ url: fatal.url, body: "fatal", retries: 3, retryDelay: "10" });
    const attempts = await receiver().waitFor(later.path, 2, 5000);
    expect((attempts[1]?.receivedAt ?? 0) - (attempts[0]?.receivedAt ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(await dlqEntryOf(messageId)).toMatchObject({ messageId, responseStatus: 489 });
    expect(receiver().deliveriesTo(fatal.path)).toHaveLength(1);
  });

  it("retries a DLQ entry as a new message and deletes entries by id", async () => {
    let healthy = false;
    const { url, path } = receiver().route(() => ({ status: healthy ? 200 : 503 }));
    const first = await qstash.publish({ url, body: "again", retries: 0 });
    const second = await qstash.publish({ url, body: "drop", retries: 0 });
    const retryEntry = await dlqEntryOf(first.messageId);
    const dropEntry = await dlqEntryOf(second.messageId);
    healthy = true;
    const { responses } = await qstash.dlq.retry([retryEntry.dlqId]);
    expect(responses).toHaveLength(1);
    const deliveries = await receiver().waitFor(path, 3);
    const redelivered = deliveries.find((delivery) => delivery.headers["upstash-message-id"] === responses[0]?.messageId);
    expect(redelivered?.body).toBe("again");
    expect(redelivered?.headers["upstash-retried"]).toBe("0");
    await expect(qstash.dlq.delete(dropEntry.dlqId)).resolves.toEqual({ deleted: 1 });
    const left = await qstash.dlq.listMessages({ dlqIds: [retryEntry.dlqId, dropEntry.dlqId] });
    expect(left.messages).toHaveLength(0);
  });

  it("treats a response slower than Upstash-Timeout as a failure", async () => {
    const { url, path } = receiver().route(() => ({ status: 200, delayMs: 3000 }));
    const { messageId } = await qstash.publish({ url, body: "slow", timeout: 1, retries: 0 });
    await receiver().waitFor(path, 1);
    const entry = await dlqEntryOf(messageId, 5000);
    expect(entry.responseStatus).toBeUndefined();
    expect((entry as { error?: string }).error).toMatch(/timeout/);
  });

  it("calls the callback (shaped by Upstash-Callback-* headers) with the response, and the failure callback once retries run out, both signed", async () => {
    const ok = receiver().route(() => ({ status: 200, body: "done" }));
    const failing = receiver().route(() => ({ status: 418, body: "teapot" }));
    const callback = receiver().route();
    const failureCallback = receiver().route();
    const succeeded = await qstash.publishJSON({
      url: ok.url, body: { a: 1 }, callback: callback.url,
      headers: { "Upstash-Callback-Method": "PUT", "Upstash-Callback-Forward-X-Callback": "shaped" },
    });
    const failed = await qstash.publishJSON({ url: failing.url, body: { b: 2 }, retries: 0, failureCallback: failureCallback.url });
    const [called] = await receiver().waitFor(callback.path, 1);
    const [failedCall] = await receiver().waitFor(failureCallback.path, 1);
    expect(called?.method).toBe("PUT");
    expect(called?.headers["x-callback"]).toBe("shaped");
    expect(failedCall?.method).toBe("POST");
    const callBody = JSON.parse(called?.body ?? "");
    expect(callBody).toMatchObject({ status: 200, sourceMessageId: succeeded.messageId, url: ok.url, retried: 0 });
    expect(Buffer.from(callBody.body, "base64").toString()).toBe("done");
    const failureBody = JSON.parse(failedCall?.body ?? "");
    expect(failureBody).toMatchObject({ status: 418, sourceMessageId: failed.messageId, url: failing.url, maxRetries: 0 });
    expect(Buffer.from(failureBody.body, "base64").toString()).toBe("teapot");
    expect(Buffer.from(failureBody.sourceBody, "base64").toString()).toBe(JSON.stringify({ b: 2 }));
    const verifier = new SignatureReceiver({ currentSigningKey: inject("qstashCurrentSigningKey"), nextSigningKey: inject("qstashNextSigningKey") });
    await expect(verifier.verify({ signature: String(called?.headers["upstash-signature"]), body: called?.body ?? "", url: callback.url })).resolves.toBe(true);
  });
});
