import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { parseExposition } from "../support/prometheus-parser";
import { TEST_TOKENS } from "./fixtures";
import { call, directQueue, expectProblem, ORIGIN, queueName } from "./helpers";

describe("flow control over HTTP", () => {
  const queue = queueName("flow");
  const tasksPath = `/v1/queues/${queue}/tasks`;

  it.each([
    ["no limit", { key: "a" }, "flowControl.parallelism"],
    ["an empty key", { key: "", parallelism: 1 }, "flowControl.key"],
    ["a key over 128 characters", { key: "k".repeat(129), parallelism: 1 }, "flowControl.key"],
    ["a fractional rate", { key: "a", rate: 1.5 }, "flowControl.rate"],
    ["a period over an hour", { key: "a", rate: 1, period: "2h" }, "flowControl.period"],
    ["an unreadable period", { key: "a", rate: 1, period: "soon" }, "flowControl.period"],
    ["an unknown field", { key: "a", parallelism: 1, burst: 3 }, "flowControl.burst"],
  ])("refuses %s, naming the field", async (_name, flowControl, field) => {
    expectProblem(await call("POST", tasksPath, { json: { fn: "echo", input: 1, flowControl } }), 400, field);
  });

  it("stores the setting with the task and shows the key's waiting tasks and limits", async () => {
    const flowControl = { key: "tenant/ä|1", parallelism: 3, rate: 5, period: "2s" };
    const answer = await call<{ ids: string[] }>("POST", tasksPath, { json: { tasks: [1, 2, 3].map((input) => ({ fn: "echo", input, flowControl })) } });
    expect(answer.status).toBe(202);
    const task = await call("GET", `/v1/tasks/${answer.body.ids[0]}`);
    expect(task.body.flowControl).toEqual({ key: "tenant/ä|1", parallelism: 3, rate: 5, periodMs: 2_000 });
    const page = await call<{ total: number; keys: Record<string, unknown>[] }>("GET", `/v1/queues/${queue}/flow`);
    expect(page.status).toBe(200);
    expect(page.body.keys).toContainEqual({ key: "tenant/ä|1", waiting: 3, held: 0, running: 0, startedInPeriod: 0, parallelism: 3, rate: 5, periodMs: 2_000 });
    const one = await call("GET", `/v1/queues/${queue}/flow/${encodeURIComponent("tenant/ä|1")}`);
    expect(one.body).toMatchObject({ key: "tenant/ä|1", waiting: 3 });
    expectProblem(await call("GET", `/v1/queues/${queue}/flow/nobody`), 404);
    expectProblem(await call("GET", `/v1/queues/${queue}/flow?limit=0`), 400, "limit");
  });

  it("takes a function's flowControl from its input when the task has none of its own", async () => {
    const answer = await call<{ id: string }>("POST", tasksPath, { json: { fn: "partner-call", input: { customer: "acme" } } });
    const task = await call("GET", `/v1/tasks/${answer.body.id}`);
    expect(task.body.flowControl).toEqual({ key: "acme", parallelism: 2, rate: 10, periodMs: 1_000 });
    const own = await call<{ id: string }>("POST", tasksPath, { json: { fn: "partner-call", input: { customer: "acme" }, flowControl: { key: "x", rate: 1 } } });
    expect((await call("GET", `/v1/tasks/${own.body.id}`)).body.flowControl).toEqual({ key: "x", rate: 1, periodMs: 1_000 });
  });

  it("gives Prometheus the number of active keys and of held tasks, never a series per key", async () => {
    const q = queueName("flowmetrics");
    const tasks = ["a", "a", "a", "b"].map((key) => ({ fn: "echo", input: key, flowControl: { key, parallelism: 1 } }));
    expect((await call("POST", `/v1/queues/${q}/tasks`, { json: { tasks } })).status).toBe(202);
    // no worker runs beside this file: a claim of all takes one task of each key and holds back a's other two
    expect(await directQueue().claim(q, 10)).toHaveLength(2);
    const response = await exports.default.fetch(new Request(`${ORIGIN}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKENS.read}` } }));
    const exposition = parseExposition(await response.text());
    const sample = (name: string) => exposition.samples.find((s) => s.name === name && s.labels.queue === q)?.value;
    expect(sample("edgeq_flow_keys")).toBe(1);
    expect(sample("edgeq_flow_held_tasks")).toBe(2);
    expect(exposition.samples.filter((s) => s.name.startsWith("edgeq_flow")).every((s) => Object.keys(s.labels).join() === "queue")).toBe(true);
  });
});
