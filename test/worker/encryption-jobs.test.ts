import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientsFromEnv } from "../../src/runtime/clients";
import { directQueue, expectProblem, randomQueue } from "./helpers";
import { callWith, freshToken, pushWith } from "./security-helpers";

const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const queue = randomQueue("enc-job");
const [admin, other] = [freshToken("admin"), freshToken("other")];
const bindings = { EDGEQ_TOKENS: `${admin}:admin; ${other}:enqueue+read@nope-*`, EDGEQ_ENCRYPTION_KEYS: `k1:${key}` };

interface Job {
  id: string;
  status: string;
  done: number;
  result?: unknown;
}

describe("jobs with encryption at rest", () => {
  it("seal map inputs and the job's input, accumulator and result; the API answers in the clear", async () => {
    const started = await callWith<{ id: string; total: number }>(bindings, "POST", "/v1/jobs", {
      token: admin,
      json: { fn: "primes-below", input: { below: 1_000, tasks: 4 }, queue },
    });
    expect(started.status).toBe(202);
    const { id } = started.body;
    const mapInput = (await directQueue().get(`${id}-0`))?.input as Record<string, unknown>;
    expect(Object.keys(mapInput)).toEqual(["$edgeq:enc"]);

    // Mid-way, the job hash holds only sealed input and accumulator.
    const fields = async () => (await clientsFromEnv(env).redis.hgetall(`edgeq:job:${id}`)) as Record<string, string> | string[];
    const text = JSON.stringify(await fields());
    expect(text).toContain("$edgeq:enc");
    expect(text).not.toContain('\\"below\\"');

    let job: Job | undefined;
    for (let round = 0; round < 10 && job?.status !== "succeeded"; round++) {
      await pushWith(bindings, queue);
      job = (await callWith<Job>(bindings, "GET", `/v1/jobs/${id}`, { token: admin })).body;
    }
    expect(job).toMatchObject({ status: "succeeded", done: 4, result: { below: 1_000, primes: 168 } });
    const finished = JSON.stringify(await fields());
    expect(finished).not.toContain("168");
    expect(finished).not.toContain('\\"below\\"');
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
    expect((await callWith(bindings, "POST", "/v1/jobs", { token: other, json: { ...json, queue: randomQueue("nope") } })).status).toBe(202);
  });
});
