/**
 * Several databases (EDGEQ_REDIS_SHARDS): the HTTP app and the push handler over the shared test
 * database ("main") and two more, each a real redis-server behind its own REST server. Queues land
 * where rendezvous hashing or EDGEQ_QUEUE_SHARDS puts them and nowhere else, every read finds them,
 * the list shows them all, and a stopped database fails only its own queues, with a 503 naming it
 * (the listings leave its queues out and name it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { functions } from "../../functions/index";
import { shardsSecret, startStackDatabase, type StackDatabase } from "../../dev/stack-databases";
import { createApp } from "../../src/http/app";
import { jobKey } from "../../src/queue/jobs/keys";
import { registryKey } from "../../src/queue/keys";
import { rendezvous } from "../../src/runtime/databases";
import { handlePush } from "../../src/runtime/push";
import type { Env } from "../../src/env";
import { startReceiver, type Receiver } from "../support/qstash-receiver";
import { restRedis, testKeyspace, testRedis } from "../support/redis-client";
import { testEnv } from "../support/runtime-env";

const keys = testKeyspace("shards");
const token = "shards-admin-token-0f3e9a";
const app = createApp({ functions });
const background: Promise<unknown>[] = [];
const executionCtx = { waitUntil: (work: Promise<unknown>) => void background.push(work.catch(() => {})), passThroughOnException() {}, props: {} };
let receiver: Receiver;
let db1: StackDatabase;
let db2: StackDatabase;
let env: Env;
/** Fixed names, so that their placement (a pure function of the names) is the same on every run. */
const queues = Array.from({ length: 24 }, (_, i) => `spread-${i}`);
const names = ["main", "db1", "db2"];

async function call(method: string, path: string, json?: unknown) {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(json === undefined ? {} : { body: JSON.stringify(json) }) };
  const response = await app.request(path, init, env, executionCtx as never);
  return { status: response.status, type: response.headers.get("content-type"), body: (await response.json()) as Record<string, unknown> };
}

/** Which databases have the queue in their registry, read directly from each. */
async function registeredOn(queue: string): Promise<string[]> {
  const clients = { main: testRedis(), db1: restRedis(db1.rest.url, db1.restToken), db2: restRedis(db2.rest.url, db2.restToken) };
  const found = await Promise.all(names.map((name) => clients[name as keyof typeof clients].hexists(registryKey(keys.prefix), queue)));
  return names.filter((_, i) => found[i] === 1);
}

beforeAll(async () => {
  receiver = await startReceiver();
  [db1, db2] = await Promise.all([startStackDatabase("db1"), startStackDatabase("db2")]);
  env = {
    ...testEnv(`${receiver.base}/ignored`, keys.prefix),
    EDGEQ_TOKENS: `${token}:admin`,
    EDGEQ_REDIS_SHARDS: shardsSecret([db1, db2]),
    EDGEQ_QUEUE_SHARDS: JSON.stringify({ pinned: "db2" }),
    // the push path: pushes go to a receiver that ignores them, so the tasks stay queued to be read
    EDGEQ_INLINE_START: "off",
  };
}, 30_000);

afterAll(async () => {
  await Promise.all(background);
  await receiver?.close();
  await Promise.all([db1?.stop(), db2?.stop()]);
  await keys.cleanup();
});

describe("several databases", () => {
  it("places each queue on its rendezvous database and on no other, spread over all three", async () => {
    for (const queue of queues) expect((await call("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: { queue } })).status).toBe(202);
    const placed = await Promise.all(queues.map(registeredOn));
    expect(placed).toEqual(queues.map((queue) => [rendezvous(queue, names)]));
    expect(new Set(placed.flat())).toEqual(new Set(names));
  });

  it("pins a queue named in EDGEQ_QUEUE_SHARDS to its database", async () => {
    expect(rendezvous("pinned", names)).not.toBe("db2"); // else the override would prove nothing
    expect((await call("POST", "/v1/queues/pinned/tasks", { fn: "echo", input: 1 })).status).toBe(202);
    expect(await registeredOn("pinned")).toEqual(["db2"]);
  });

  it("lists every database's queues, reads each queue and each task where it lives", async () => {
    const listed = (await call("GET", "/v1/queues")).body.queues as { name: string; counts: { queued: number } }[];
    expect(listed.map((queue) => queue.name)).toEqual([...queues, "pinned"].sort());
    expect(listed.every((queue) => queue.counts.queued === 1)).toBe(true);
    const queue = queues.find((name) => rendezvous(name, names) === "db1")!;
    const created = await call("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: { read: true } });
    const read = await call("GET", `/v1/tasks/${created.body.id as string}`);
    expect(read.body).toMatchObject({ id: created.body.id, queue, status: "queued", input: { read: true } });
    expect((await call("GET", `/v1/queues/${queue}`)).body).toMatchObject({ name: queue, counts: { queued: 2 } });
  });

  it("runs a push for a queue on the database that holds it", async () => {
    const queue = queues.find((name) => rendezvous(name, names) === "db2")!;
    const report = await handlePush(env, { queue }, { functions });
    expect(report).toMatchObject({ queue, claimed: 1, succeeded: 1 });
    expect(((await call("GET", `/v1/queues/${queue}`)).body.counts as { succeeded: number }).succeeded).toBe(1);
  });

  it("keeps a job on its queue's database and finds it by id", async () => {
    const queue = queues.find((name) => rendezvous(name, names) === "db1")!;
    const started = await call("POST", "/v1/jobs", { fn: "estimate-pi", input: { tasks: 2, samples: 10 }, queue });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    expect(await restRedis(db1.rest.url, db1.restToken).exists(jobKey(keys.prefix, id))).toBe(1);
    expect(await testRedis().exists(jobKey(keys.prefix, id))).toBe(0);
    expect((await call("GET", `/v1/jobs/${id}`)).body).toMatchObject({ id, queue, status: "running", total: 2, done: 0 });
  });

  it("reports every database's PING on /health", async () => {
    const health = await app.request("/health", {}, env, executionCtx as never);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok", redis: "PONG", databases: { main: "PONG", db1: "PONG", db2: "PONG" } }]);
  });

  it("answers 503 naming a stopped database for its queues only; the others go on", async () => {
    await db1.stop();
    const down = queues.find((name) => rendezvous(name, names) === "db1")!;
    const up = queues.filter((name) => rendezvous(name, names) !== "db1");
    const refused = await call("POST", `/v1/queues/${down}/tasks`, { fn: "echo", input: 2 });
    expect(refused.status).toBe(503);
    expect(refused.type).toBe("application/problem+json");
    expect(refused.body).toMatchObject({ status: 503, type: "urn:edgeq:problem:database-unavailable", database: "db1" });
    expect(refused.body.detail).toMatch(/database "db1" is unavailable/);
    for (const queue of up.slice(0, 4)) expect((await call("POST", `/v1/queues/${queue}/tasks`, { fn: "echo", input: 2 })).status).toBe(202);
    expect((await call("GET", `/v1/queues/${up[0]!}`)).status).toBe(200);
    // The listings show what answered and name what did not.
    const [listed, metrics] = await Promise.all([
      call("GET", "/v1/queues"),
      Promise.resolve(app.request("/metrics", { headers: { authorization: `Bearer ${token}` } }, env, executionCtx as never)).then((r) => r.text()),
    ]);
    expect(listed.status).toBe(200);
    expect((listed.body.queues as { name: string }[]).map((queue) => queue.name)).toEqual([...up, "pinned"].sort());
    expect(listed.body.unavailable).toEqual([{ database: "db1", detail: expect.stringMatching(/database "db1" is unavailable/) }]);
    expect(metrics).toContain('edgeq_database_up{database="db1"} 0');
    expect(metrics).toContain('edgeq_database_up{database="db2"} 1');
    expect(metrics).toContain(`edgeq_tasks_enqueued_total{queue="${up[0]!}"}`);
    // /health names it (its last good PING, a second old at most, no longer stands)
    const health = await app.request("/health", {}, env, executionCtx as never);
    expect(health.status).toBe(503);
    const problem = (await health.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status: 503, database: "db1" });
    expect(problem.detail).toMatch(/^Redis is unreachable on database "db1" \(/);
  }, 30_000);
});
