import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientsFromEnv } from "../../src/runtime/clients";
import { jobKey } from "../../src/queue/jobs/keys";
import { directQueue, expectProblem, queueName } from "./helpers";
import { callWith, freshToken, pushWith } from "./security-helpers";
import { taskIdOf } from "../../src/queue/ids";
import type { Job } from "../../src/wire/index";

const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const queue = queueName("enc-job");
const [admin, other] = [freshToken("admin"), freshToken("other")];
const bindings = { EDGEQ_TOKENS: `${admin}:admin; ${other}:enqueue+read@nope-*`, EDGEQ_ENCRYPTION_KEYS: `k1:${key}` };

describe("jobs with encryption at rest", () => {
  it("seal map inputs and the job's input, accumulator and result; the API answers in the clear", async () => {
    const started = await callWith<{ id: string; total: number }>(bindings, "POST", "/v1/jobs", {
      token: admin,
      json: { fn: "primes-below", input: { below: 1_000, tasks: 4 }, queue },
    });
    expect(started.status).toBe(202);
    const { id } = started.body;
    const mapInput = (await directQueue().get(taskIdOf(queue, `${id}-0`)))?.input as Record<string, unknown>;
    expect(Object.keys(mapInput)).toEqual(["$edgeq:enc"]);

    // Mid-way, the job hash holds only sealed input and accumulator.
    const fields = async () => (await clientsFromEnv(env).redis.hgetall(jobKey(env.EDGEQ_KEY_PREFIX!, id))) as Record<string, string> | string[];
    const text = JSON.stringify(await fields());
    expect(text).toContain("$edgeq:enc");
    expect(text).not.toContain('\\"below\\"');

    let job: Job | undefined;
    for (let round = 0; round < 10 && job?.status !== "succeeded"; round++) {
      await pushWith(bindings, queue);
      job = (await callWith<Job>(bindings, "GET", `/v1/jobs/${id}`, { token: admin })).body;
    }
    expect(job).toMatchObject({ status: "succeeded", done: 4, result: { below: 1_000, primes: 168 } });
    // The result field itself is sealed (a bare "168" could also appear in a timestamp), and no
    // field holds the answer or the input in the clear.
    const stored = await fields();
    const hash = Array.isArray(stored) ? Object.fromEntries(Array.from({ length: stored.length / 2 }, (_, i) => [stored[2 * i], stored[2 * i + 1]])) : stored;
    expect(Object.keys(JSON.parse(String(hash.result)) as object)).toEqual(["$edgeq:enc"]);
    const finished = JSON.stringify(stored);
    expect(finished).not.toMatch(/\\"primes\\":168/);
    expect(finished).not.toContain('\\"below\\"');
  });

  it("bind sealed job values to their job: a result moved to another job does not open", async () => {
    const finished = async (input: { tasks: number; samples: number; seed: number }) => {
      const { id } = (await callWith<{ id: string }>(bindings, "POST", "/v1/jobs", { token: admin, json: { fn: "estimate-pi", input, queue } })).body;
      let job: Job | undefined;
      for (let round = 0; round < 10 && job?.status !== "succeeded"; round++) {
        await pushWith(bindings, queue);
        job = (await callWith<Job>(bindings, "GET", `/v1/jobs/${id}`, { token: admin })).body;
      }
      expect(job?.status).toBe("succeeded");
      return id;
    };
    const [first, second] = [await finished({ tasks: 1, samples: 10, seed: 1 }), await finished({ tasks: 1, samples: 10, seed: 2 })];
    // Someone with Redis write access copies the first job's sealed result into the second job.
    const { redis } = clientsFromEnv(env);
    const key = (id: string) => jobKey(env.EDGEQ_KEY_PREFIX!, id);
    const moved = await redis.hget<string>(key(first), "result");
    expect(Object.keys(JSON.parse(String(moved)) as object)).toEqual(["$edgeq:enc"]);
    const own = await redis.hget<string>(key(second), "result");
    await redis.hset(key(second), { result: String(moved) });
    // Same queue, same kind, same key: only the job id in the additional data tells them apart, and
    // the moved value does not open (a 500, not the other job's answer).
    expectProblem(await callWith(bindings, "GET", `/v1/jobs/${second}`, { token: admin }), 500);
    expect((await callWith(bindings, "GET", `/v1/jobs/${first}`, { token: admin })).status).toBe(200);
    await redis.hset(key(second), { result: String(own) });
    expect((await callWith(bindings, "GET", `/v1/jobs/${second}`, { token: admin })).status).toBe(200);
  });

  it("keep a queue-restricted token to its queues: another queue's job is not found", async () => {
    const started = await callWith<{ id: string }>(bindings, "POST", "/v1/jobs", {
      token: admin,
      json: { fn: "estimate-pi", input: { tasks: 1, samples: 1 }, queue },
    });
    const { id } = started.body;
    expectProblem(await callWith(bindings, "GET", `/v1/jobs/${id}`, { token: other }), 404);
    expectProblem(await callWith(bindings, "GET", `/v1/jobs/${id}?wait=30`, { token: other }), 404);
    expectProblem(await callWith(bindings, "GET", `/v1/jobs/${id}/events`, { token: other }), 404);
    expectProblem(await callWith(bindings, "DELETE", `/v1/jobs/${id}`, { token: other }), 404);
    const list = await callWith<{ jobs: { id: string }[] }>(bindings, "GET", "/v1/jobs?limit=1000", { token: other });
    expect(list.status).toBe(200);
    expect(list.body.jobs.map((job) => job.id)).not.toContain(id);
    const json = { fn: "estimate-pi", input: { tasks: 1, samples: 1 }, queue };
    expectProblem(await callWith(bindings, "POST", "/v1/jobs", { token: other, json }), 403);
    expect((await callWith(bindings, "POST", "/v1/jobs", { token: other, json: { ...json, queue: queueName("nope") } })).status).toBe(202);
  });
});
