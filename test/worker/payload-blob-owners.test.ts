/**
 * Who owns a payload blob: the deployment whose key prefix its name carries, and the task or job
 * that refers to it. Two deployments sharing one bucket under different prefixes never sweep each
 * other's blobs; a job's input past 32 KiB lives in R2 for as long as the job does.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isPayloadRef, payloadKey, payloadRoot, resolvePayload } from "../../src/blobs/payloads";
import { sweepPayloadBlobs } from "../../src/blobs/sweep";
import { jobKey } from "../../src/queue/jobs/keys";
import { createJobStore } from "../../src/queue/jobs/store";
import { createBudget } from "../../src/runtime/budget";
import { type Clients, clientsFromEnv } from "../../src/runtime/clients";
import { runInvocation } from "../../src/runtime/invocation";
import { defineJob } from "../../src/runtime/job";
import { startJob } from "../../src/runtime/jobs/start-job";
import { registry } from "../../src/runtime/registry";
import { PUSH_BUDGET, runtimeFromEnv } from "../../src/runtime/runtime";
import { call, queueName } from "./helpers";

const bucket = env.BLOBS!;
const bigInput = (bytes: number, marker: string) => ({ marker, rows: Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => `${marker}-row-${i}-xxxxxxxxxxxxxxxx`) });
const exists = async (key: string) => (await bucket.head(key)) !== null;

/** Sweeps as the deployment of `clients` with no grace, page after page; returns what it deleted. */
async function sweepAs(clients: Clients): Promise<string[]> {
  const deleted: string[] = [];
  const jobs = createJobStore(clients.redis, { prefix: clients.prefix });
  for (let page = 0; page < 50; page++) {
    const report = await sweepPayloadBlobs({ bucket, prefix: clients.prefix, tasks: clients.tasks, jobInputs: (ids) => jobs.inputs(ids), now: Date.now(), graceMs: 0 });
    deleted.push(...report.deleted);
    if (report.wrapped) break;
  }
  return deleted;
}

describe("payload blobs of deployments sharing a bucket", () => {
  it("each deployment's sweep deletes its own orphans and never the other's blobs, live or orphaned", async () => {
    const a = clientsFromEnv(env);
    const b = clientsFromEnv({ ...env, EDGEQ_KEY_PREFIX: `${a.prefix}-b` });
    // The same queue name in both, and task ids the other deployment's Redis has never heard of.
    const queue = queueName("shared");
    const [liveA] = await a.tasks.enqueue(queue, [{ fn: "echo", input: bigInput(50_000, "a") }]);
    const [liveB] = await b.tasks.enqueue(queue, [{ fn: "echo", input: bigInput(50_000, "b") }]);
    const blobA = (await a.tasks.get(liveA!.id))?.input as { "$edgeq:blob": { key: string } };
    const blobB = (await b.tasks.get(liveB!.id))?.input as { "$edgeq:blob": { key: string } };
    expect(blobA["$edgeq:blob"].key.startsWith(`${payloadRoot(a.prefix)}${queue}/`)).toBe(true);
    expect(blobB["$edgeq:blob"].key.startsWith(`${payloadRoot(b.prefix)}${queue}/`)).toBe(true);
    // Crashes between an upload and its enqueue, one in each deployment.
    const orphanA = payloadKey({ prefix: a.prefix, queue, ownerId: "never-a", kind: "input" }, "aa".repeat(32));
    const orphanB = payloadKey({ prefix: b.prefix, queue, ownerId: "never-b", kind: "input" }, "bb".repeat(32));
    await bucket.put(orphanA, "{}");
    await bucket.put(orphanB, "{}");

    const deletedByA = await sweepAs(a);
    expect(deletedByA).toContain(orphanA);
    expect(deletedByA.filter((key) => key.startsWith(payloadRoot(b.prefix)))).toEqual([]);
    expect(await exists(orphanB)).toBe(true);
    expect(await exists(blobB["$edgeq:blob"].key)).toBe(true);

    const deletedByB = await sweepAs(b);
    expect(deletedByB).toEqual([orphanB]);
    expect(await exists(blobA["$edgeq:blob"].key)).toBe(true);
    // Both live inputs still read back whole.
    for (const [clients, id, marker] of [[a, liveA!.id, "a"], [b, liveB!.id, "b"]] as const) {
      expect(await resolvePayload(bucket, (await clients.tasks.get(id))?.input)).toEqual(bigInput(50_000, marker));
    }
    // The other deployment's keys go (every key of the worker tests carries their prefix: key-prefix.test.ts).
    const others = (await b.redis.keys(`${b.prefix}:*`)) as string[];
    if (others.length > 0) await b.redis.del(...others);
    await bucket.delete(blobB["$edgeq:blob"].key);
  });
});

// Row i maps to its length: the answer needs every row, and finalize reads the input back.
const rowLengths = defineJob({
  name: "row-lengths",
  input: z.object({ rows: z.array(z.string()).min(1) }),
  count: ({ rows }) => rows.length,
  *split({ rows }) {
    for (const row of rows) yield row.length;
  },
  map: (length: number) => length,
  initial: () => 0,
  reduce: (acc: number, length: number) => acc + length,
  finalize: (sum, { rows }) => ({ sum, rows: rows.length, last: rows.at(-1) }),
});

describe("a job's input past 32 KiB", () => {
  it("lives in R2 while the job does: the splitter and finalize read it back, the sweep keeps it, then deletes it", async () => {
    const queue = queueName("bigjobinput");
    // 1,001 rows: the splitter runs once, reading the input back, for the last task.
    const rows = bigInput(1_001 * 40, "jobin").rows.slice(0, 1_001);
    expect(JSON.stringify({ rows }).length).toBeGreaterThan(32 * 1024);
    const runtime = runtimeFromEnv(env, { functions: registry([], [rowLengths as never]) });
    await runtime.tasks.updateSettings(queue, { batchSize: 2_000 });
    const job = await startJob(rowLengths, { rows }, queue, { tasks: runtime.tasks, jobs: runtime.jobs, now: Date.now });

    const raw = createJobStore(runtime.clients.redis, { prefix: runtime.clients.prefix });
    const [stored] = await raw.inputs([job.id]);
    expect(isPayloadRef(stored)).toBe(true);
    expect(JSON.stringify(stored).length).toBeLessThan(300);
    const blob = (stored as { "$edgeq:blob": { key: string } })["$edgeq:blob"].key;
    expect(blob.startsWith(`${payloadRoot(runtime.clients.prefix)}${queue}/${job.id}/job-input-`)).toBe(true);

    for (let round = 0; round < 6 && (await raw.get(job.id))?.status === "running"; round++) {
      await runInvocation(queue, createBudget(PUSH_BUDGET, runtime.clock), runtime);
    }
    const expected = { sum: rows.reduce((sum, row) => sum + row.length, 0), rows: 1_001, last: rows.at(-1) };
    expect(await raw.get(job.id)).toMatchObject({ status: "succeeded", done: 1_001, result: expected });
    expect((await call("GET", `/v1/jobs/${job.id}`)).body).toMatchObject({ status: "succeeded", result: expected });

    // Referred to by the job: kept. The job's record gone (its day after finishing): deleted.
    expect(await sweepAs(runtime.clients)).not.toContain(blob);
    expect(await exists(blob)).toBe(true);
    await runtime.clients.redis.del(jobKey(runtime.clients.prefix, job.id));
    expect(await sweepAs(runtime.clients)).toContain(blob);
    expect(await exists(blob)).toBe(false);
  });
});
