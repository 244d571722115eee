/**
 * The log-stats job over real objects in the local R2 bucket, uploaded through the API: its counts
 * equal a single pass over the same objects, also when a worker died holding a map task.
 */
import { describe, expect, it } from "vitest";
import { logFileText } from "../../dev/log-generator";
import { emptyTally } from "../../functions/log-lines";
import type { summarize } from "../../functions/log-stats";
import { randomFolder, raw, singlePass } from "./blob-helpers";
import { call, directQueue, expectProblem, queueName } from "./helpers";
import { pushWith } from "./security-helpers";

interface Job {
  id: string;
  status: string;
  total: number;
  done: number;
  result?: ReturnType<typeof summarize>;
  error?: string;
}

/** Uploads seeded logs (and one empty object) through PUT /v1/blobs: their prefix and total bytes. */
async function uploadLogs(sizes: number[]): Promise<{ prefix: string; bytes: number }> {
  const prefix = `${randomFolder("logs")}/`;
  let bytes = 0;
  for (const [file, size] of sizes.entries()) {
    const text = new TextEncoder().encode(logFileText(41, file, size));
    bytes += text.length;
    expect((await raw("PUT", `/v1/blobs/${prefix}day-${file}.log`, { body: text })).status).toBe(201);
  }
  expect((await raw("PUT", `/v1/blobs/${prefix}empty.log`, { body: "" })).status).toBe(201);
  return { prefix, bytes };
}

async function runToEnd(queue: string, id: string): Promise<Job> {
  let job: Job | undefined;
  for (let round = 0; round < 30 && job?.status !== "succeeded" && job?.status !== "failed"; round++) {
    await pushWith({}, queue);
    job = (await call<Job>("GET", `/v1/jobs/${id}`, { token: "read" })).body;
  }
  return job!;
}

describe("log-stats over R2", () => {
  it("folds every byte range once: the counts equal a single pass over the same objects", async () => {
    const { prefix, bytes } = await uploadLogs([40_000, 25_000, 9_000]);
    const queue = queueName("logstats");
    const started = await call<{ id: string; total: number }>("POST", "/v1/jobs", { json: { fn: "log-stats", input: { prefix, chunkBytes: 4_096 }, queue } });
    expect(started.status).toBe(202);
    // ceil(40000/4096) + ceil(25000/4096) + ceil(9000/4096) ranges, and one for the empty object.
    expect(started.body.total).toBe(10 + 7 + 3 + 1);
    const job = await runToEnd(queue, started.body.id);
    expect(job.status).toBe("succeeded");
    const expected = await singlePass(prefix);
    expect(job.result).toEqual(expected);
    expect(expected).toMatchObject({ files: 4, bytesRead: bytes });
    expect(job.result!.lines).toBeGreaterThan(500);
    expect(job.result!.topPaths).toHaveLength(10);
  });

  it("re-reads the range of a worker that died holding it, and still folds each range exactly once", async () => {
    const { prefix } = await uploadLogs([30_000]);
    const queue = queueName("logkill");
    const started = await call<{ id: string; total: number }>("POST", "/v1/jobs", { json: { fn: "log-stats", input: { prefix, chunkBytes: 5_000 }, queue } });
    // A worker claims a map task and dies: its lease runs out, the upkeep puts the task back.
    const [claimed] = await directQueue().claim(queue, 1, 200);
    expect(claimed?.fn).toBe("log-stats");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await directQueue().upkeep(queue)).requeued).toBe(1);
    const job = await runToEnd(queue, started.body.id);
    expect(job).toMatchObject({ status: "succeeded", done: started.body.total });
    expect(job.result).toEqual(await singlePass(prefix));
    // The dead worker comes back with its old lease: refused, and the job is unchanged.
    const late = await directQueue().complete(queue, [{ id: claimed!.id, leaseToken: claimed!.leaseToken, result: { ...emptyTally(), lines: 1_000_000 } }]);
    expect(late).toEqual([{ id: claimed!.id, outcome: "stale" }]);
    expect((await call<Job>("GET", `/v1/jobs/${started.body.id}`, { token: "read" })).body.result).toEqual(job.result);
  });

  it("refuses a prefix that is not a key's start, and fails a range whose object changed since the start", async () => {
    expectProblem(await call("POST", "/v1/jobs", { json: { fn: "log-stats", input: { prefix: "a/../b" } } }), 400, "input.prefix");
    const { prefix } = await uploadLogs([3_000]);
    const queue = queueName("logchg");
    const started = await call<{ id: string }>("POST", "/v1/jobs", { json: { fn: "log-stats", input: { prefix, chunkBytes: 1_000 }, queue } });
    await raw("PUT", `/v1/blobs/${prefix}day-0.log`, { body: "rewritten\n" });
    const job = await runToEnd(queue, started.body.id);
    expect(job.status).toBe("failed");
    const dead = await call<{ tasks: { error: string }[] }>("GET", `/v1/queues/${queue}/dead`, { token: "read" });
    expect(dead.body.tasks[0]?.error).toContain("changed since the job started");
  });
});
