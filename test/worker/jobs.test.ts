/** The job routes inside workerd: scopes, validation, start, read, events and cancel. */
import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { readEvents } from "../../src/client/sse";
import { TEST_TOKENS } from "./fixtures";
import { call, directQueue, expectProblem, ORIGIN, queueName } from "./helpers";
import { taskIdOf } from "../../src/queue/ids";
import type { JobStarted } from "../../src/wire/index";

describe("job routes", () => {
  it("need a token, the enqueue scope to start and cancel, the read scope to read", async () => {
    const json = { fn: "estimate-pi", input: { tasks: 2, samples: 10 } };
    expectProblem(await call("POST", "/v1/jobs", { token: null, json }), 401);
    expectProblem(await call("POST", "/v1/jobs", { token: "read", json }), 403);
    expectProblem(await call("GET", "/v1/jobs/SOMEJOB", { token: "enqueue" }), 403);
    expectProblem(await call("DELETE", "/v1/jobs/SOMEJOB", { token: "read" }), 403);
    expectProblem(await call("GET", "/v1/jobs/SOMEJOB/events", { token: null }), 401);
  });

  it("refuse what is not a job, input that fails the job's schema, unknown fields and bad ids", async () => {
    const taskFn = expectProblem(await call("POST", "/v1/jobs", { json: { fn: "echo", input: {} } }), 400, "fn");
    expect(taskFn.detail).toMatch(/is a task function/);
    expectProblem(await call("POST", "/v1/jobs", { json: { fn: "nope" } }), 400, "fn");
    expectProblem(await call("POST", "/v1/jobs", { json: { fn: "primes-below", input: { below: 10, tasks: 0 } } }), 400, "input.tasks");
    expectProblem(await call("POST", "/v1/jobs", { json: { fn: "primes-below", input: { below: 10, tasks: 1 }, extra: 1 } }), 400, "extra");
    expectProblem(await call("POST", "/v1/jobs", { json: { fn: "primes-below", input: { below: 10, tasks: 1 }, queue: "Bad Queue" } }), 400, "queue");
    expectProblem(await call("POST", `/v1/queues/${queueName("map")}/tasks`, { json: { fn: "estimate-pi", input: {} } }), 400, "fn");
    expectProblem(await call("GET", "/v1/jobs/bad%20id"), 400, "id");
    expectProblem(await call("GET", "/v1/jobs/NO-SUCH-JOB"), 404);
    expectProblem(await call("GET", "/v1/jobs/NO-SUCH-JOB/events"), 404);
    expectProblem(await call("DELETE", "/v1/jobs/NO-SUCH-JOB"), 404);
  });

  it("start a job (its map tasks enqueued with the job's id), read it, cancel it once", async () => {
    const queue = queueName("jobs");
    const started = await call<JobStarted>("POST", "/v1/jobs", { json: { fn: "estimate-pi", input: { tasks: 3, samples: 10 }, queue } });
    expect(started.status).toBe(202);
    const { id, total } = started.body;
    expect(total).toBe(3);
    const read = await call("GET", `/v1/jobs/${id}`, { token: "read" });
    expect(read.body).toMatchObject({ id, fn: "estimate-pi", queue, status: "running", total: 3, done: 0, failed: 0, finishedAt: null });
    const mapTask = await directQueue().get(taskIdOf(queue, `${id}-2`));
    expect(mapTask).toMatchObject({ fn: "estimate-pi", jobId: id, input: { seed: 1, index: 2, samples: 10 } });

    expect((await call("DELETE", `/v1/jobs/${id}`, { token: "enqueue" })).body).toEqual({ id, status: "canceled" });
    expect((await call("GET", `/v1/jobs/${id}`)).body).toMatchObject({ status: "canceled", error: "canceled by request" });
    expect((await directQueue().get(taskIdOf(queue, `${id}-2`)))?.status).toBe("canceled");
    expectProblem(await call("DELETE", `/v1/jobs/${id}`), 409);
    const recent = await call<{ jobs: { id: string; status: string; createdAt: number }[] }>("GET", "/v1/jobs?limit=100", { token: "read" });
    expect(recent.body.jobs.find((job) => job.id === id)).toMatchObject({ status: "canceled" });
    const times = recent.body.jobs.map((job) => job.createdAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expectProblem(await call("GET", "/v1/jobs?limit=0", { token: "read" }), 400, "limit");
  });

  it("the event stream of a finished job is its result, at once", async () => {
    const { body } = await call<JobStarted>("POST", "/v1/jobs", { json: { fn: "estimate-pi", input: { tasks: 1, samples: 1 }, queue: queueName("ev") } });
    await call("DELETE", `/v1/jobs/${body.id}`);
    const response = await exports.default.fetch(
      new Request(`${ORIGIN}/v1/jobs/${body.id}/events`, { headers: { authorization: `Bearer ${TEST_TOKENS.read}` } }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = [];
    for await (const event of readEvents(response.body!)) events.push(event);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: "result", id: "0.0.canceled" });
    expect(JSON.parse(events[0]!.data)).toMatchObject({ id: body.id, status: "canceled", done: 0 });
  });
});
