/**
 * A push whose invocation failed (a crash, a deploy) is delivered again within seconds: the publisher
 * sets Upstash-Retry-Delay, since QStash's own backoff would wait 12 s and then 2.5 min while the
 * queue waits for its worker.
 */
import { describe, expect, it } from "vitest";
import { qstashPublisher } from "../../src/runtime/publisher";
import { receiverForFile, testQStash } from "../support/qstash-receiver";

const receiver = receiverForFile();
const qstash = testQStash();

describe("push deliveries that fail", () => {
  it("are retried after 1 s, then 2 s, with Upstash-Retried counting up", async () => {
    const { url, path } = receiver().route((delivery) => ({ status: delivery.headers["upstash-retried"] === "2" ? 200 : 503 }), "/v1/work");
    const publisher = qstashPublisher(qstash, { publicUrl: url.slice(0, -"/v1/work".length), deliveryTimeoutSeconds: 30, retries: 3 });
    expect(await publisher.publish([{ queue: "retried-push", deduplicationId: `retried-push-${path.slice(1, 13)}` }])).toEqual([true]);
    // QStash's default backoff would bring the second attempt after 12 s: this bound fails on it
    const attempts = await receiver().waitFor(path, 3, 9_000);
    expect(attempts.map((attempt) => attempt.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    expect(JSON.parse(attempts[0]!.body)).toEqual({ queue: "retried-push" });
    expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(1_000);
    expect(attempts[2]!.receivedAt - attempts[1]!.receivedAt).toBeGreaterThanOrEqual(2_000);
  });
});
