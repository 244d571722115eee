import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startRestServer, type RestServer } from "../../dev/rest-server/index";
import { deleteKeysWithPrefix, randomPrefix, restRedis, testRedis } from "../support/redis-client";

// The wire protocol itself, with plain fetch: what Upstash's REST API answers, status by status.
const prefix = randomPrefix("rest-http");
const key = (label: string) => `${prefix}${label}`;
const url = inject("restUrl");
const auth = { authorization: `Bearer ${inject("restToken")}` };

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url + path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  return { status: response.status, body: await response.json() };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers });

afterAll(() => deleteKeysWithPrefix(prefix));

describe("REST server: request forms", () => {
  it("runs the path form, with a POST body as the last argument and query parameters after it", async () => {
    expect(await call(`/set/${encodeURIComponent(key("p"))}/v%20w`)).toEqual({ status: 200, body: { result: "OK" } });
    expect(await call(`/get/${encodeURIComponent(key("p"))}`)).toEqual({ status: 200, body: { result: "v w" } });
    const binary = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    expect((await call(`/set/${encodeURIComponent(key("bin"))}?EX=100`, { method: "POST", body: binary })).body).toEqual({ result: "OK" });
    expect(await post("/", ["GET", key("bin")], { "Upstash-Encoding": "base64" })).toEqual({ status: 200, body: { result: binary.toString("base64") } });
    expect((await post("/", ["TTL", key("bin")])).body).toMatchObject({ result: expect.any(Number) });
    expect(((await post("/", ["TTL", key("bin")])).body as { result: number }).result).toBeGreaterThan(90);
  });

  it("takes the whole command as a JSON array, numbers and booleans as arguments", async () => {
    expect(await post("/", ["SET", key("n"), 41, "EX", 100])).toEqual({ status: 200, body: { result: "OK" } });
    expect(await post("/", ["INCR", key("n")])).toEqual({ status: 200, body: { result: 42 } });
    expect(await post("/", ["SET", key("b"), true])).toEqual({ status: 200, body: { result: "OK" } });
    expect(await post("/", ["GET", key("b")])).toEqual({ status: 200, body: { result: "true" } });
  });

  it("encodes every string of a nested reply in base64, leaving numbers, nulls and OK alone", async () => {
    await post("/", ["RPUSH", key("l"), "a", "ü"]);
    const script = "return {'OK', 7, false, {'x', {ARGV[1]}}, redis.call('LRANGE', KEYS[1], 0, -1)}";
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    expect(await post("/", ["EVAL", script, 1, key("l"), "deep"], { "Upstash-Encoding": "base64" })).toEqual({
      status: 200,
      body: { result: ["OK", 7, null, [b64("x"), [b64("deep")]], [b64("a"), b64("ü")]] },
    });
    expect((await post("/", ["EVAL", script, 1, key("l"), "deep"])).body).toEqual({ result: ["OK", 7, null, ["x", ["deep"]], ["a", "ü"]] });
    expect(await post("/pipeline", [["SET", key("o"), "OK"], ["GET", key("o")], ["TYPE", key("o")]], { "Upstash-Encoding": "base64" })).toEqual({
      status: 200,
      body: [{ result: "OK" }, { result: "OK" }, { result: b64("string") }],
    });
  });

  it("passes INFO commandstats through", async () => {
    const { status, body } = await post("/", ["INFO", "commandstats"]);
    expect(status).toBe(200);
    expect((body as { result: string }).result).toMatch(/^# Commandstats\r\ncmdstat_[\w|]+:calls=\d+/);
  });
});

describe("REST server: errors and statuses", () => {
  it("answers command errors with 400 and {error}", async () => {
    expect(await post("/", ["GET"])).toEqual({ status: 400, body: { error: "ERR wrong number of arguments for 'get' command" } });
    expect(await post("/", ["NOSUCHCOMMAND", "x"])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/unknown command/) } });
    expect(await post("/", "not json")).toMatchObject({ status: 400, body: { error: expect.stringMatching(/JSON/) } });
    expect(await post("/", [])).toMatchObject({ status: 400, body: { error: expect.any(String) } });
    expect(await post("/", [["nested"]])).toMatchObject({ status: 400, body: { error: expect.any(String) } });
    expect(await post("/pipeline", {})).toMatchObject({ status: 400, body: { error: expect.any(String) } });
    expect(await post("/", ["PING"], { "Upstash-Response-Format": "resp2" })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/resp2/) } });
    expect(await post("/", ["PING"], { "Upstash-Response-Format": "json" })).toEqual({ status: 200, body: { result: "PONG" } });
  });

  it("keeps pipeline errors in place and discards a transaction that fails to queue", async () => {
    expect(await post("/pipeline", [["SET", key("e"), "x"], ["INCR", key("e")], ["GET", key("e")]])).toEqual({
      status: 200,
      body: [{ result: "OK" }, { error: "ERR value is not an integer or out of range" }, { result: "x" }],
    });
    expect(await post("/multi-exec", [["SET", key("t"), "x"], ["INCR", key("t")], ["GET", key("t")]])).toEqual({
      status: 200,
      body: [{ result: "OK" }, { error: "ERR value is not an integer or out of range" }, { result: "x" }],
    });
    const aborted = await post("/multi-exec", [["SET", key("t2"), "never"], ["GET"]]);
    expect(aborted).toEqual({ status: 400, body: { error: "ERR wrong number of arguments for 'get' command" } });
    expect((await post("/", ["EXISTS", key("t2")])).body).toEqual({ result: 0 });
  });

  it("refuses a missing or wrong token with 401, and accepts _token in the query", async () => {
    const unauthorized = { status: 401, body: { error: "WRONGPASS invalid or missing auth token" } };
    expect(await fetch(`${url}/ping`).then(async (r) => ({ status: r.status, body: await r.json() }))).toEqual(unauthorized);
    expect(await call("/ping", { headers: { authorization: "Bearer nope" } })).toEqual(unauthorized);
    expect(await call("/ping", { headers: { authorization: `Basic ${inject("restToken")}` } })).toEqual(unauthorized);
    const viaQuery = await fetch(`${url}/echo/hi?_token=${encodeURIComponent(inject("restToken"))}`);
    expect({ status: viaQuery.status, body: await viaQuery.json() }).toEqual({ status: 200, body: { result: "hi" } });
  });

  it("refuses other methods with 405", async () => {
    expect((await call("/ping", { method: "DELETE" })).status).toBe(405);
    expect((await call("/ping", { method: "PATCH" })).status).toBe(405);
  });

  it("refuses blocking, subscribe and connection-state commands without running them", async () => {
    for (const command of [["BLPOP", key("q"), 0], ["BRPOP", key("q"), 1], ["BLMOVE", key("q"), key("r"), "LEFT", "RIGHT", 0], ["BZPOPMIN", key("z"), 0], ["XREAD", "BLOCK", 0, "STREAMS", key("s"), "$"], ["WAIT", 1, 0], ["SUBSCRIBE", "c"], ["MONITOR"], ["SELECT", 1], ["MULTI"], ["WATCH", key("w")], ["HELLO", 3], ["CLIENT", "REPLY", "OFF"], ["CLIENT", "KILL", "ID", 1], ["SCRIPT", "DEBUG", "YES"]]) {
      expect(await post("/", command)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/not available/) } });
    }
    expect(await post("/", ["XREAD", "COUNT", 1, "STREAMS", key("s"), "0"])).toEqual({ status: 200, body: { result: null } });
    expect(await post("/", ["CLIENT", "ID"])).toEqual({ status: 200, body: { result: expect.any(Number) } });
    expect(await post("/", ["PING"])).toEqual({ status: 200, body: { result: "PONG" } });
    expect(await post("/pipeline", [["PING"], ["BLPOP", key("q"), 0], ["ECHO", "after"]])).toEqual({
      status: 200,
      body: [{ result: "PONG" }, { error: expect.stringMatching(/not available/) }, { result: "after" }],
    });
    expect(await post("/multi-exec", [["SET", key("never"), 1], ["BRPOP", key("q"), 0]])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/not available/) } });
    expect((await post("/", ["EXISTS", key("never")])).body).toEqual({ result: 0 });
    expect(await call("/blpop/q/0")).toMatchObject({ status: 400 });
  });
});

describe("REST server: request size limit", () => {
  let small: RestServer;
  beforeAll(async () => {
    small = await startRestServer({ redisUrl: `redis://127.0.0.1:${inject("redisPort")}`, token: "small-token", maxBodyBytes: 1024, poolSize: 1 });
  });
  afterAll(async () => small.close());

  it("answers 413 with a clear error for a body over the limit, and keeps serving", async () => {
    const headers = { authorization: "Bearer small-token", "content-type": "application/json" };
    const big = JSON.stringify(["SET", key("big"), "x".repeat(4096)]);
    const refused = await fetch(small.url, { method: "POST", headers, body: big });
    expect(refused.status).toBe(413);
    expect(await refused.json()).toEqual({ error: "ERR max request size exceeded. Limit: 1024 bytes" });
    // Without a Content-Length (chunked), the limit is enforced while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(i === 0 ? '["SET","k","' : "y".repeat(512)));
        controller.close();
      },
    });
    const chunked = await fetch(small.url, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    const client = restRedis(small.url, "small-token");
    await expect(client.set(key("big"), "x".repeat(4096))).rejects.toThrow(/max request size exceeded/);
    expect(await client.set(key("small"), "fits")).toBe("OK");
    expect(await client.get(key("big"))).toBeNull();
  });
});

// A lost event would otherwise hold a test for the whole default timeout.
describe("REST server: SUBSCRIBE as a server-sent event stream", { timeout: 5_000 }, () => {
  it("delivers published messages to @upstash/redis's subscribe()", async () => {
    const redis = testRedis();
    const channel = key("chat");
    const subscriber = redis.subscribe<{ text: string }>([channel]);
    const subscribed = new Promise<number>((resolve) => subscriber.on("subscribe", resolve));
    const received = new Promise<unknown>((resolve) => subscriber.on("message", (event) => resolve(event)));
    expect(await subscribed).toBe(1);
    expect(await redis.publish(channel, { text: "hello" })).toBe(1);
    expect(await received).toEqual({ channel, message: { text: "hello" } });
    await subscriber.unsubscribe();
  });

  it("delivers pattern messages to psubscribe()", async () => {
    const redis = testRedis();
    const pattern = key("room:*");
    // The client JSON-parses pattern messages without a fallback, so the message is JSON.
    const subscriber = redis.psubscribe<{ text: string }>([pattern]);
    const subscribed = new Promise<number>((resolve) => subscriber.on("psubscribe", resolve));
    const received = new Promise<unknown>((resolve) => subscriber.on("pmessage", (event) => resolve(event)));
    expect(await subscribed).toBe(1);
    expect(await redis.publish(key("room:7"), { text: "hi there" })).toBe(1);
    expect(await received).toEqual({ pattern, channel: key("room:7"), message: { text: "hi there" } });
    await subscriber.unsubscribe();
  });
});
