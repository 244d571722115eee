import { describe, expect, it } from "vitest";
import { bytesEqual, digestsEqual, parseTokens, reachesQueue, tokenOf, TokenConfigError } from "../../src/http/tokens";
import { directQueue, expectProblem, queueName } from "./helpers";
import { callWith, freshToken } from "./security-helpers";

// Two families of queues: the restricted tokens reach "sa-*" and one exact name, never "sb-*".
const mine = queueName("sa");
const exact = queueName("sx");
const theirs = queueName("sb");
const admin = freshToken("admin");
const worker = freshToken("worker");
const owner = freshToken("owner");
const bindings = { EDGEQ_TOKENS: `${admin}:admin; ${worker}:enqueue+read@sa-*|${exact}; ${owner}:admin@${mine}` };
const task = { fn: "echo", input: { hello: "scopes" }, delay: "1h" };

async function enqueue(queue: string, token: string) {
  return callWith<{ id: string }>(bindings, "POST", `/v1/queues/${queue}/tasks`, { token, json: task });
}

describe("queue-restricted tokens", () => {
  it("enqueue to the queues they reach, by prefix or exact name, and to no other", async () => {
    expect((await enqueue(mine, worker)).status).toBe(202);
    expect((await enqueue(exact, worker)).status).toBe(202);
    expect(expectProblem(await enqueue(theirs, worker), 403).detail).toContain(theirs);
  });

  it("read their tasks; another queue's task is not found, and cannot be canceled", async () => {
    const own = await enqueue(mine, worker);
    const other = await enqueue(theirs, admin);
    expect((await callWith(bindings, "GET", `/v1/tasks/${own.body.id}`, { token: worker })).body).toMatchObject({ queue: mine });
    const missing = await callWith(bindings, "GET", `/v1/tasks/nope-${crypto.randomUUID()}`, { token: worker });
    const foreign = await callWith(bindings, "GET", `/v1/tasks/${other.body.id}`, { token: worker });
    // The same answer as for an id that does not exist: ids say nothing about other queues.
    expect(expectProblem(foreign, 404).title).toBe(expectProblem(missing, 404).title);
    expectProblem(await callWith(bindings, "GET", `/v1/tasks/${other.body.id}?wait=30`, { token: worker }), 404);
    expectProblem(await callWith(bindings, "DELETE", `/v1/tasks/${other.body.id}`, { token: worker }), 404);
    expect((await callWith(bindings, "GET", `/v1/tasks/${other.body.id}`, { token: admin })).body).toMatchObject({ status: "delayed" });
    expect((await callWith(bindings, "DELETE", `/v1/tasks/${own.body.id}`, { token: worker })).status).toBe(200);
  });

  it("see only their queues in lists, and not another queue's dead letters or stats", async () => {
    await enqueue(theirs, admin);
    const list = await callWith<{ queues: { name: string }[] }>(bindings, "GET", "/v1/queues", { token: worker });
    const names = list.body.queues.map((queue) => queue.name);
    expect(names).toContain(mine);
    expect(names).not.toContain(theirs);
    expect(names.every((name) => name.startsWith("sa-") || name === exact)).toBe(true);
    expectProblem(await callWith(bindings, "GET", `/v1/queues/${theirs}`, { token: worker }), 403);
    expectProblem(await callWith(bindings, "GET", `/v1/queues/${theirs}/dead`, { token: worker }), 403);
    expect((await callWith(bindings, "GET", `/v1/queues/${mine}/dead`, { token: worker })).status).toBe(200);
  });

  it("cannot use admin routes without the admin scope, nor routes that span every queue", async () => {
    expectProblem(await callWith(bindings, "PATCH", `/v1/queues/${mine}`, { token: worker, json: { batchSize: 5 } }), 403);
    expectProblem(await callWith(bindings, "POST", `/v1/queues/${mine}/pause`, { token: worker }), 403);
    expectProblem(await callWith(bindings, "POST", `/v1/queues/${mine}/dead/retry`, { token: worker }), 403);
    expectProblem(await callWith(bindings, "GET", "/metrics", { token: worker }), 403);
    // Routes that show no queue's data stay open to them.
    expect((await callWith(bindings, "GET", "/v1/functions", { token: worker })).status).toBe(200);
  });

  it("cannot reach another queue's dead tasks by naming their ids under its own queue", async () => {
    const dead = await callWith<{ id: string }>(bindings, "POST", `/v1/queues/${theirs}/tasks`, { token: admin, json: { fn: "echo", input: 1, maxAttempts: 1 } });
    const [claimed] = await directQueue().claim(theirs, 10);
    const victim = claimed?.id === dead.body.id ? claimed : undefined;
    expect(victim).toBeDefined();
    await directQueue().fail(theirs, [{ id: victim!.id, leaseToken: victim!.leaseToken, error: "boom", retryable: false }]);
    // the id names its queue (`<theirs>~…`): refused as a task of another queue, nothing touched
    const ids = { ids: [victim!.id] };
    expectProblem(await callWith(bindings, "POST", `/v1/queues/${mine}/dead/retry`, { token: owner, json: ids }), 400, "ids[0]");
    expectProblem(await callWith(bindings, "DELETE", `/v1/queues/${mine}/dead`, { token: owner, json: ids }), 400, "ids[0]");
    expect((await callWith(bindings, "GET", `/v1/tasks/${victim!.id}`, { token: admin })).body).toMatchObject({ status: "dead" });
  });

  it("with admin on one queue, administer that queue and no other", async () => {
    expect((await callWith(bindings, "PATCH", `/v1/queues/${mine}`, { token: owner, json: { batchSize: 7 } })).status).toBe(200);
    expectProblem(await callWith(bindings, "PATCH", `/v1/queues/${theirs}`, { token: owner, json: { batchSize: 7 } }), 403);
    expectProblem(await callWith(bindings, "POST", `/v1/queues/${exact}/pause`, { token: owner }), 403);
  });
});

describe("token rotation", () => {
  it("accepts the old and the new token while both are configured, only the new one after", async () => {
    const queue = queueName("rot");
    const [old, fresh] = [freshToken("old"), freshToken("new")];
    const during = { EDGEQ_TOKENS: `${old}:enqueue+read; ${fresh}:enqueue+read` };
    const after = { EDGEQ_TOKENS: `${fresh}:enqueue+read` };
    for (const token of [old, fresh]) expect((await callWith(during, "POST", `/v1/queues/${queue}/tasks`, { token, json: task })).status).toBe(202);
    expectProblem(await callWith(after, "POST", `/v1/queues/${queue}/tasks`, { token: old, json: task }), 401);
    expect((await callWith(after, "POST", `/v1/queues/${queue}/tasks`, { token: fresh, json: task })).status).toBe(202);
  });
});

describe("EDGEQ_TOKENS queue patterns", () => {
  const A = "aaaaaaaaaaaaaaaaaaaa";

  it("parses names and prefixes, and refuses what is neither", async () => {
    const [entry] = await parseTokens(`${A}:read@reports-*|billing`);
    expect(reachesQueue(entry!.queues, "reports-2026")).toBe(true);
    expect(reachesQueue(entry!.queues, "billing")).toBe(true);
    expect(reachesQueue(entry!.queues, "billing-2")).toBe(false);
    expect(reachesQueue(entry!.queues, "report")).toBe(false);
    expect((await parseTokens(`${A}:read@*`))[0]!.queues.all).toBe(true);
    await expect(parseTokens(`${A}:read@Reports`)).rejects.toThrow(TokenConfigError);
    await expect(parseTokens(`${A}:read@a*b`)).rejects.toThrow(/neither a queue name/);
    await expect(parseTokens(`${A}:read@`)).rejects.toThrow(/neither a queue name/);
  });

  it("keeps only SHA-256 digests and compares them whole, whatever the presented length", async () => {
    const tokens = await parseTokens(`${A}:read`);
    expect(tokens[0]!.digest).toHaveLength(32);
    expect(JSON.stringify(tokens)).not.toContain(A);
    expect(tokens[0]!.id).not.toContain(A.slice(0, 8));
    // Presented tokens of any length are hashed first, so every comparison is 32 bytes against 32.
    expect(await tokenOf(A.slice(0, 19), tokens)).toBeNull();
    expect(await tokenOf(`${A}${"a".repeat(10_000)}`, tokens)).toBeNull();
    expect(await tokenOf(A, tokens)).not.toBeNull();
    const x = new Uint8Array(32).fill(7);
    const y = x.slice();
    expect(digestsEqual(x, y)).toBe(true);
    y[31] = 8;
    expect(digestsEqual(x, y)).toBe(false);
    y[31] = 7;
    y[0] = 0;
    expect(digestsEqual(x, y)).toBe(false);
    expect(digestsEqual(x, x.slice(0, 31))).toBe(false);
  });

  it("answers a token that matched last from memory, and nothing else: no prefix, extension or other list", async () => {
    const tokens = await parseTokens(`${A}:read`);
    const entry = await tokenOf(A, tokens);
    expect(entry).toBe(tokens[0]);
    expect(await tokenOf(A, tokens)).toBe(entry);
    expect(await tokenOf(A.slice(0, 19), tokens)).toBeNull();
    expect(await tokenOf(`${A}a`, tokens)).toBeNull();
    expect(await tokenOf(`${A.slice(0, 19)}b`, tokens)).toBeNull();
    // a new secret is a new list: the token it no longer holds is refused
    expect(await tokenOf(A, await parseTokens(`${"b".repeat(20)}:read`))).toBeNull();
    expect(bytesEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1, 2, 3, 1]), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});
