/**
 * The `edgeq` command as a user runs it (`node src/client/cli/edgeq.mjs … --url --token`) against
 * the local stack: enqueue, status --wait, job run with its progress bar, queues, dead list/retry.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { estimatePiDirect } from "../support/direct";
import { freshQueue, useStack } from "./stack-fixture";

const root = fileURLToPath(new URL("../..", import.meta.url));
const local = useStack({ cronEverySeconds: 2 });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function edgeq(...args: string[]): Promise<Run> {
  const { workerUrl, apiToken } = local.stack.info;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["src/client/cli/edgeq.mjs", ...args, "--url", workerUrl, "--token", apiToken],
      { cwd: root, timeout: 60_000, env: { ...process.env, EDGEQ_URL: "", EDGEQ_TOKEN: "" } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const json = (run: Run) => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};

describe("edgeq CLI against the local stack", () => {
  it("enqueue, then status --wait shows the result", async () => {
    const queue = freshQueue("cli");
    const { id } = json(await edgeq("enqueue", queue, "echo", "--input", '{"hello":"cli"}'));
    expect(id).toEqual(expect.any(String));
    expect(json(await edgeq("status", id, "--wait", "20"))).toMatchObject({ id, status: "succeeded", result: { hello: "cli" } });
  });

  it("job run prints the finished job, with a progress bar on stderr", async () => {
    const run = await edgeq("job", "run", "estimate-pi", "--input", '{"tasks":40,"samples":5000,"seed":9}', "--queue", freshQueue("clijob"));
    const job = json(run);
    expect(job).toMatchObject({ status: "succeeded", total: 40, done: 40, failed: 0 });
    expect(job.result).toEqual(estimatePiDirect(40, 5_000, 9));
    expect(run.stderr).toMatch(/40\/40 tasks/);
    expect(run.stderr).toMatch(/succeeded in \d+\.\d+ s/);
  });

  it("job list shows recent jobs; job cancel cancels a running one", async () => {
    const queue = freshQueue("clicancel");
    await local.client.pauseQueue(queue);
    const { id } = await local.client.startJob("primes-below", { below: 1_000_000, tasks: 20 }, queue);
    expect(json(await edgeq("job", "cancel", id))).toEqual({ id, status: "canceled" });
    const { jobs } = json(await edgeq("job", "list"));
    expect(jobs.find((job: { id: string }) => job.id === id)).toMatchObject({ status: "canceled", total: 20 });
    expect(json(await edgeq("job", "status", id))).toMatchObject({ status: "canceled" });
  });

  it("queues lists a queue's counts; dead list and dead retry act on its dead tasks", async () => {
    const queue = freshQueue("clidead");
    await local.client.updateQueue(queue, { maxAttempts: 1 });
    const { id } = json(await edgeq("enqueue", queue, "flaky", "--input", '{"failures":1}'));
    expect(json(await edgeq("status", id, "--wait", "20"))).toMatchObject({ status: "dead", attempts: 1 });

    const { queues } = json(await edgeq("queues"));
    expect(queues.find((q: { name: string }) => q.name === queue)?.counts).toMatchObject({ dead: 1 });
    const { tasks } = json(await edgeq("dead", "list", queue));
    expect(tasks.map((task: { id: string }) => task.id)).toEqual([id]);
    expect(tasks[0].error).toMatch(/failing on purpose/);

    // Retried with fresh attempts, it runs (and fails) once more: two attempts' errors on record.
    expect(json(await edgeq("dead", "retry", queue))).toEqual({ retried: 1 });
    const retried = json(await edgeq("status", id, "--wait", "20"));
    expect(retried).toMatchObject({ status: "dead", attempts: 1 });
    expect(retried.errors).toHaveLength(2);
  });

  it("blob put (multipart, stopped and resumed), get, ls and rm round-trip a file through the local R2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "edgeq-blob-"));
    const file = join(dir, "data.bin");
    const bytes = randomBytes(5 * 1024 * 1024 + 1_234);
    await writeFile(file, bytes);
    const folder = freshQueue("cliblob");
    const key = `${folder}/data.bin`;
    // --max-parts stops after one part of two; the same command again resumes with the saved upload.
    const paused = await edgeq("blob", "put", file, key, "--part-mb", "5", "--max-parts", "1");
    expect(paused.code, paused.stderr).toBe(3);
    expect(paused.stderr).toMatch(/paused: 1\/2 parts/);
    expect(json(await edgeq("blob", "put", file, key, "--part-mb", "5"))).toMatchObject({ key, size: bytes.length });
    const copy = join(dir, "copy.bin");
    const got = await edgeq("blob", "get", key, copy);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stderr).toMatch(/MB/);
    expect(createHash("sha256").update(await readFile(copy)).digest("hex")).toBe(createHash("sha256").update(bytes).digest("hex"));

    await writeFile(join(dir, "small.txt"), "small\n");
    json(await edgeq("blob", "put", join(dir, "small.txt"), `${folder}/small.txt`));
    const listed = await edgeq("blob", "ls", `${folder}/`);
    expect(listed.stdout.trim().split("\n").map((line) => line.trim().split(/\s+/))).toEqual([
      [String(bytes.length), key],
      ["6", `${folder}/small.txt`],
    ]);
    expect(json(await edgeq("blob", "rm", key))).toEqual({ key, deleted: true });
    expect((await edgeq("blob", "ls", `${folder}/`)).stdout).not.toContain("data.bin");
    await rm(dir, { recursive: true, force: true });
  });

  it("task watch follows a sleeping task's progress bar to its result", async () => {
    // Long enough to outlast the CLI's own start (a second or more on a busy machine).
    const { id } = json(await edgeq("enqueue", freshQueue("cliwatch"), "sleep", "--input", '{"ms":8000}'));
    const run = await edgeq("task", "watch", id);
    expect(json(run)).toMatchObject({ id, status: "succeeded", result: { slept: expect.any(Number) } });
    // A bar drawn from {done, total} (printed as lines when stderr is not a terminal).
    expect(run.stderr, run.stderr).toMatch(/\d+\/8000 /);
  });

  it("schedule create, list, pause and delete; a bad cron exits non-zero naming `cron`", async () => {
    const id = `cli-${Date.now().toString(36)}`;
    const created = json(await edgeq("schedule", "create", "0 9 * * 1-5", "echo", "--id", id, "--timezone", "Europe/Paris", "--input", '{"hi":1}'));
    expect(created).toMatchObject({ id, cron: "0 9 * * 1-5", timezone: "Europe/Paris", paused: false, nextRunAt: expect.any(Number) });
    expect(json(await edgeq("schedule", "list")).schedules.map((s: { id: string }) => s.id)).toContain(id);
    expect(json(await edgeq("schedule", "pause", id))).toMatchObject({ paused: true, nextRunAt: null });
    expect(json(await edgeq("schedule", "delete", id))).toMatchObject({ id });
    const bad = await edgeq("schedule", "create", "61 * * * *", "echo");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/400 .*cron/);
  });

  it("a refused request exits non-zero with the server's problem on stderr", async () => {
    const run = await edgeq("job", "run", "primes-below", "--input", '{"below":10,"tasks":0}');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/400 .*input\.tasks/);
  });
});
