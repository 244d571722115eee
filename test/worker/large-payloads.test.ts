/**
 * Inputs and results past 32 KiB live in R2 with a reference in Redis: round trips through a task
 * and a job, limits, sealing before upload, and the sweep that deletes what no task refers to.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isPayloadRef, PAYLOAD_REF_FIELD, payloadKey, payloadRoot } from "../../src/blobs/payloads";
import { sweepPayloadBlobs } from "../../src/blobs/sweep";
import { randomFolder, raw, singlePass } from "./blob-helpers";
import { call, directQueue, expectProblem, queueName, settledTask } from "./helpers";
import { callWith, freshToken, pushWith } from "./security-helpers";

/** An input of about `bytes` bytes of JSON, with a marker to look for in storage. */
function bigInput(bytes: number, marker: string) {
  return { marker, rows: Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => `${marker}-row-${i.toString().padStart(8, "0")}-xxxxxxxx`) };
}

const prefix = env.EDGEQ_KEY_PREFIX!;

async function payloadKeysOf(queue: string): Promise<string[]> {
  const listed = await env.BLOBS!.list({ prefix: `${payloadRoot(prefix)}${queue}/` });
  return listed.objects.map((object) => object.key);
}

async function sweepAll(graceMs: number): Promise<string[]> {
  const deleted: string[] = [];
  for (let page = 0; page < 50; page++) {
    const report = await sweepPayloadBlobs({ bucket: env.BLOBS!, prefix, tasks: directQueue(), now: Date.now(), graceMs });
    deleted.push(...report.deleted);
    if (report.wrapped) break;
  }
  return deleted;
}

describe("large inputs and results", () => {
  it("round-trip through a task: Redis keeps a reference of a few hundred bytes, readers see the value", async () => {
    const queue = queueName("bigtask");
    const input = bigInput(300_000, "plain");
    const enqueued = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", input } });
    expect(enqueued.status).toBe(202);
    const stored = await directQueue().get(enqueued.body.id);
    expect(isPayloadRef(stored?.input)).toBe(true);
    expect(JSON.stringify(stored?.input).length).toBeLessThan(300);
    await pushWith({}, queue);
    const task = await settledTask(enqueued.body.id);
    expect(task).toMatchObject({ status: "succeeded", input, result: input });
    const settled = await directQueue().get(enqueued.body.id);
    expect(isPayloadRef(settled?.result)).toBe(true);
    expect(JSON.stringify(settled).length).toBeLessThan(1_000);
    expect((await payloadKeysOf(queue)).length).toBe(2);
  });

  it("round-trip through a job: large map results are folded from R2", async () => {
    const queue = queueName("bigjob");
    // 3,000 distinct paths: each range's partial counts are over 32 KiB of JSON.
    const lines = Array.from({ length: 3_000 }, (_, i) => `2026-12-07T10:00:00Z GET /items/${i.toString(36).padStart(6, "0")}-${"p".repeat(40)} 200 ${i} ${i % 97}`);
    const folder = `${randomFolder("bigjob")}/`;
    const text = `${lines.join("\n")}\n`;
    expect((await raw("PUT", `/v1/blobs/${folder}paths.log`, { body: text })).status).toBe(201);
    const started = await call<{ id: string; total: number }>("POST", "/v1/jobs", { json: { fn: "log-stats", input: { prefix: folder, chunkBytes: Math.ceil(text.length / 2) }, queue } });
    expect(started.body.total).toBe(2);
    let job: { status: string; result?: unknown } | undefined;
    for (let round = 0; round < 10 && job?.status !== "succeeded"; round++) {
      await pushWith({}, queue);
      job = (await call<NonNullable<typeof job>>("GET", `/v1/jobs/${started.body.id}`, { token: "read" })).body;
    }
    // The map results did go through R2 (the fold read them there): this test is about that path.
    const results = await payloadKeysOf(queue);
    expect(results.map((key) => key.replace(/-[0-9a-f]{32}$/, ""))).toEqual([0, 1].map((i) => `${payloadRoot(prefix)}${queue}/${queue}~${started.body.id}-${i}/result`));
    expect(job).toEqual(expect.objectContaining({ status: "succeeded", result: await singlePass(folder) }));
  });

  it("refuses an input over 25 MB with a 400 naming it, and stores nothing", async () => {
    const queue = queueName("toobig");
    const answer = await call("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", input: "x".repeat(25 * 1024 * 1024) } });
    expectProblem(answer, 400, "input");
    expect(await payloadKeysOf(queue)).toEqual([]);
  });

  it("seals a large input and result before upload: the bucket holds no plaintext", async () => {
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    const admin = freshToken("admin");
    const bindings = { EDGEQ_TOKENS: `${admin}:admin`, EDGEQ_ENCRYPTION_KEYS: `k1:${key}` };
    const queue = queueName("bigsealed");
    const marker = `secret${crypto.randomUUID().slice(0, 8)}`;
    const input = bigInput(100_000, marker);
    const enqueued = await callWith<{ id: string }>(bindings, "POST", `/v1/queues/${queue}/tasks`, { token: admin, json: { fn: "echo", input } });
    expect(enqueued.status).toBe(202);
    await pushWith(bindings, queue);
    const task = await callWith(bindings, "GET", `/v1/tasks/${enqueued.body.id}`, { token: admin });
    expect(task.body).toMatchObject({ status: "succeeded", input, result: input });
    // Dump what the local bucket holds for this queue: sealed JSON only.
    const keys = await payloadKeysOf(queue);
    expect(keys).toHaveLength(2);
    for (const blobKey of keys) {
      const text = await new Response(((await env.BLOBS!.get(blobKey)) as R2ObjectBody).body).text();
      expect(text.startsWith('{"$edgeq:enc":"k1.')).toBe(true);
      expect(text).not.toContain(marker);
    }
  });

  it("the sweep deletes the blobs of tasks whose records expired, and a planted orphan, and keeps the rest", async () => {
    const queue = queueName("bigttl");
    const live = queueName("biglive");
    expect((await call("PATCH", `/v1/queues/${queue}`, { json: { resultTtlMs: 1_000 } })).status).toBe(200);
    const expiring = await call<{ id: string }>("POST", `/v1/queues/${queue}/tasks`, { json: { fn: "echo", input: bigInput(50_000, "ttl") } });
    const kept = await call<{ id: string }>("POST", `/v1/queues/${live}/tasks`, { json: { fn: "echo", input: bigInput(50_000, "kept"), delay: "1h" } });
    await pushWith({}, queue);
    expect((await settledTask(expiring.body.id)).status).toBe("succeeded");
    // A crash between the upload and the enqueue: a payload blob for a task that never came to be.
    const orphan = payloadKey({ prefix, queue: live, ownerId: "never-enqueued", kind: "input" }, "ab".repeat(32));
    await env.BLOBS!.put(orphan, '{"orphan":true}');
    const expiringKeys = await payloadKeysOf(queue);
    expect(expiringKeys).toHaveLength(2);

    // Within the grace period nothing goes: an enqueue may still be on its way.
    expect(await sweepAll(60_000)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await directQueue().get(expiring.body.id)).toBeNull();
    const deleted = await sweepAll(0);
    // Other tests' blobs may go too (a folded map result is referenced by no task); these must.
    expect(deleted).toEqual(expect.arrayContaining([...expiringKeys, orphan]));
    expect(await payloadKeysOf(queue)).toEqual([]);
    const liveKeys = await payloadKeysOf(live);
    expect(liveKeys).toHaveLength(1);
    expect((await directQueue().get(kept.body.id))?.input).toMatchObject({ [PAYLOAD_REF_FIELD]: { key: liveKeys[0] } });
  });
});
