import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { Client, QstashError, Receiver as SignatureReceiver } from "@upstash/qstash";
import { decodeJwt } from "jose";
import { receiverForFile, sleep, testQStash } from "../support/qstash-receiver";

const receiver = receiverForFile();
const qstash = testQStash();
const signatures = () => new SignatureReceiver({ currentSigningKey: inject("qstashCurrentSigningKey"), nextSigningKey: inject("qstashNextSigningKey") });


describe.concurrent("QStash dev server: publish and signed delivery", () => {
  it("delivers publishJSON with the body, forwarded headers and Upstash headers, verified by the real Receiver", async () => {
    const { url, path } = receiver().route();
    const published = await qstash.publishJSON({ url, body: { hello: "world", n: 1 }, headers: { "x-trace": "abc" } });
    expect(published.messageId).toMatch(/^msg_/);
    const [delivery] = await receiver().waitFor(path, 1);
    expect(delivery?.method).toBe("POST");
    expect(JSON.parse(delivery?.body ?? "")).toEqual({ hello: "world", n: 1 });
    expect(delivery?.headers["content-type"]).toBe("application/json");
    expect(delivery?.headers["x-trace"]).toBe("abc");
    expect(delivery?.headers["upstash-forward-x-trace"]).toBeUndefined();
    expect(delivery?.headers["upstash-message-id"]).toBe(published.messageId);
    expect(delivery?.headers["upstash-retried"]).toBe("0");
    expect(delivery?.headers["user-agent"]).toBe("Upstash-QStash");
    const signature = String(delivery?.headers["upstash-signature"]);
    await expect(signatures().verify({ signature, body: delivery?.body ?? "", url })).resolves.toBe(true);
    const claims = decodeJwt(signature);
    expect(claims).toMatchObject({ iss: "Upstash", sub: url });
    expect(claims.exp).toBe((claims.iat ?? 0) + 300);
    expect(claims.nbf).toBe(claims.iat);
    expect(String(claims.jti)).toMatch(/^jwt_/);
  });

  it("signs so that a Receiver whose current key is stale still verifies with its next key", async () => {
    const { url, path } = receiver().route();
    await qstash.publish({ url, body: "rotation" });
    const [delivery] = await receiver().waitFor(path, 1);
    const rotated = new SignatureReceiver({ currentSigningKey: "sig_stale", nextSigningKey: inject("qstashCurrentSigningKey") });
    await expect(rotated.verify({ signature: String(delivery?.headers["upstash-signature"]), body: "rotation", url })).resolves.toBe(true);
  });

  it("produces signatures the Receiver rejects for a tampered body, another URL or the wrong keys", async () => {
    const { url, path } = receiver().route();
    await qstash.publish({ url, body: "original" });
    const [delivery] = await receiver().waitFor(path, 1);
    const signature = String(delivery?.headers["upstash-signature"]);
    await expect(signatures().verify({ signature, body: "tampered", url })).rejects.toThrow(/body hash/);
    await expect(signatures().verify({ signature, body: "original", url: `${url}/other` })).rejects.toThrow(/invalid subject/);
    const strangers = new SignatureReceiver({ currentSigningKey: "sig_wrong_one", nextSigningKey: "sig_wrong_two" });
    await expect(strangers.verify({ signature, body: "original", url })).rejects.toThrow(/signature/);
  });

  it("takes the destination raw, query string included, and signs that exact URL", async () => {
    const { url, path } = receiver().route();
    const destination = `${url}?queue=a%20b&n=2`;
    await qstash.publish({ url: destination, body: "q" });
    const [delivery] = await receiver().waitFor(path, 1);
    expect(delivery?.url).toBe(destination);
    await expect(signatures().verify({ signature: String(delivery?.headers["upstash-signature"]), body: "q", url: destination })).resolves.toBe(true);
  });

  it("honours Upstash-Method and signs the empty body of a GET", async () => {
    const { url, path } = receiver().route();
    await qstash.publish({ url, method: "GET" });
    const [delivery] = await receiver().waitFor(path, 1);
    expect(delivery?.method).toBe("GET");
    await expect(signatures().verify({ signature: String(delivery?.headers["upstash-signature"]), body: "", url })).resolves.toBe(true);
  });

  it("holds a delayed message until its delay (or Upstash-Not-Before) has passed", async () => {
    const delayed = receiver().route();
    const notBefore = receiver().route();
    const publishedAt = Date.now();
    await qstash.publishJSON({ url: delayed.url, body: { d: 1 }, delay: 1 });
    const notBeforeSeconds = Math.ceil((publishedAt + 1000) / 1000);
    await qstash.publishJSON({ url: notBefore.url, body: { d: 2 }, notBefore: notBeforeSeconds });
    const [first] = await receiver().waitFor(delayed.path, 1);
    const [second] = await receiver().waitFor(notBefore.path, 1);
    expect(first?.receivedAt).toBeGreaterThanOrEqual(publishedAt + 1000);
    expect(second?.receivedAt).toBeGreaterThanOrEqual(notBeforeSeconds * 1000);
  });

  it("publishes a batch with batchJSON, each message delivered to its destination", async () => {
    const routes = [receiver().route(), receiver().route(), receiver().route()];
    const results = await qstash.batchJSON(routes.map((route, index) => ({ url: route.url, body: { index } })));
    expect(results).toHaveLength(3);
    for (const [index, route] of routes.entries()) {
      const [delivery] = await receiver().waitFor(route.path, 1);
      expect(JSON.parse(delivery?.body ?? "")).toEqual({ index });
      expect(delivery?.headers["upstash-message-id"]).toBe(results[index]?.messageId);
    }
  });

  it("delivers many messages at once, each exactly once", async () => {
    const { url, path } = receiver().route(() => ({ status: 200, delayMs: 100 }));
    const results = (await Promise.all(Array.from({ length: 5 }, (_, chunk) =>
      qstash.batchJSON(Array.from({ length: 100 }, (_, n) => ({ url, body: { n: chunk * 100 + n } })))))).flat();
    await receiver().waitFor(path, 500, 20_000);
    await sleep(200);
    const deliveries = receiver().deliveriesTo(path);
    expect(deliveries).toHaveLength(500);
    expect(new Set(deliveries.map((delivery) => delivery.headers["upstash-message-id"]))).toEqual(new Set(results.map((result) => result.messageId)));
    // Each answer takes 100 ms: only overlapping deliveries get 500 through in the time bound above.
    expect(receiver().maxConcurrent(path)).toBeGreaterThan(10);
  });

  it("delivers once per deduplication id and answers the duplicate with the first message id", async () => {
    const { url, path } = receiver().route();
    const deduplicationId = `dedup-${path}`;
    const first = await qstash.publishJSON({ url, body: { copy: 1 }, deduplicationId });
    const second = await qstash.publishJSON({ url, body: { copy: 2 }, deduplicationId });
    expect(second.messageId).toBe(first.messageId);
    expect(second.deduplicated).toBe(true);
    const [delivery] = await receiver().waitFor(path, 1);
    expect(JSON.parse(delivery?.body ?? "")).toEqual({ copy: 1 });
    await sleep(300);
    expect(receiver().deliveriesTo(path)).toHaveLength(1);
  });

  it("deduplicates on content when asked: same body once, another body again", async () => {
    const { url, path } = receiver().route();
    const a = await qstash.publishJSON({ url, body: { same: true }, contentBasedDeduplication: true });
    const b = await qstash.publishJSON({ url, body: { same: true }, contentBasedDeduplication: true });
    const c = await qstash.publishJSON({ url, body: { same: false }, contentBasedDeduplication: true });
    expect(b.messageId).toBe(a.messageId);
    expect(c.messageId).not.toBe(a.messageId);
    const deliveries = await receiver().waitFor(path, 2);
    await sleep(300);
    expect(receiver().deliveriesTo(path)).toHaveLength(2);
    expect(deliveries.map((delivery) => JSON.parse(delivery.body)).sort((x, y) => Number(x.same) - Number(y.same))).toEqual([{ same: false }, { same: true }]);
  });

  it("refuses a wrong token with 401 and bad headers with 400, storing nothing", async () => {
    const { url, path } = receiver().route();
    const intruder = new Client({ baseUrl: inject("qstashUrl"), token: "not-the-token", retry: false });
    await expect(intruder.publishJSON({ url, body: {} })).rejects.toMatchObject({ status: 401 });
    await expect(qstash.publishJSON({ url, body: {}, delay: "soon" as unknown as number })).rejects.toBeInstanceOf(QstashError);
    await expect(qstash.publish({ url, body: "x", retryDelay: "pow(2," })).rejects.toMatchObject({ status: 400 });
    await expect(qstash.publish({ url: "ftp://example.com/x", body: "x" })).rejects.toMatchObject({ status: 400 });
    await expect(qstash.publish({ urlGroup: "no-such-group", body: "x" })).rejects.toMatchObject({ status: 404 });
    await sleep(200);
    expect(receiver().deliveriesTo(path)).toHaveLength(0);
  });

  it("answers malformed requests with 4xx and a JSON error, never 5xx", async () => {
    const base = inject("qstashUrl");
    const authorization = `Bearer ${inject("qstashToken")}`;
    const cases: [string, RequestInit][] = [
      ["/v2/messages/%E0%A4%A", { method: "GET" }],
      ["/v2/publish/https%3A%2F%2F%E0%A4%A", { method: "POST", body: "x" }],
      ["/v2/batch", { method: "POST", body: "{not json" }],
      ["/v2/batch", { method: "POST", body: JSON.stringify([{ destination: 42 }]) }],
      ["/v2/queues", { method: "POST", body: JSON.stringify({ queueName: "bad name!" }) }],
      ["/v2/nothing-here", { method: "GET" }],
      ["/v2/keys", { method: "DELETE" }],
    ];
    for (const [path, init] of cases) {
      const response = await fetch(`${base}${path}`, { ...init, headers: { authorization } });
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      expect(await response.json(), path).toHaveProperty("error");
    }
  });

  it("serves the signing keys on /v2/keys", async () => {
    const response = await fetch(`${inject("qstashUrl")}/v2/keys`, { headers: { authorization: `Bearer ${inject("qstashToken")}` } });
    expect(await response.json()).toEqual({ current: inject("qstashCurrentSigningKey"), next: inject("qstashNextSigningKey") });
  });
});
