/** The schedule routes inside workerd: scopes, validation (each refusal names its field), CRUD, pause and resume. */
import { describe, expect, it } from "vitest";
import { call, expectProblem, queueName } from "./helpers";
import type { Schedule } from "../../src/wire/index";

const body = (fields: Record<string, unknown> = {}) => ({ cron: "*/5 * * * *", fn: "echo", input: { n: 1 }, queue: queueName("sched"), ...fields });

describe("schedule routes", () => {
  it("need a token, the admin scope to change and the read scope to read", async () => {
    expectProblem(await call("GET", "/v1/schedules", { token: null }), 401);
    expectProblem(await call("POST", "/v1/schedules", { token: "enqueue", json: body() }), 403);
    expectProblem(await call("GET", "/v1/schedules", { token: "enqueue" }), 403);
    expectProblem(await call("DELETE", "/v1/schedules/x", { token: "read" }), 403);
  });

  it("refuse a bad cron naming `cron`, a bad zone naming `timezone`, and fn, input, queue and id as an enqueue does", async () => {
    const badCron = expectProblem(await call("POST", "/v1/schedules", { json: body({ cron: "61 * * * *" }) }), 400, "cron");
    expect(badCron.detail).toMatch(/minute/);
    expectProblem(await call("POST", "/v1/schedules", { json: body({ cron: "* * *" }) }), 400, "cron");
    expectProblem(await call("POST", "/v1/schedules", { json: body({ timezone: "Mars/Olympus" }) }), 400, "timezone");
    expectProblem(await call("POST", "/v1/schedules", { json: body({ fn: "no-such-fn" }) }), 400, "fn");
    expectProblem(await call("POST", "/v1/schedules", { json: body({ fn: "sleep", input: { ms: -5 } }) }), 400, "input.ms");
    expectProblem(await call("POST", "/v1/schedules", { json: body({ queue: "Bad Queue" }) }), 400, "queue");
    expectProblem(await call("POST", "/v1/schedules", { json: body({ id: "has.dot" }) }), 400, "id");
    expectProblem(await call("POST", "/v1/schedules", { json: body({ every: "day" }) }), 400, "every");
    expectProblem(await call("GET", "/v1/schedules/no-such-schedule"), 404);
  });

  it("create, read, replace, pause, resume and delete, with next and last run", async () => {
    const id = `s-${crypto.randomUUID().slice(0, 8)}`;
    const created = await call<Schedule>("POST", "/v1/schedules", { json: body({ id, cron: "0 9 * * 1-5", timezone: "Europe/Paris" }) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, cron: "0 9 * * 1-5", timezone: "Europe/Paris", paused: false, source: "api", lastRun: null });
    const next = new Date(created.body.nextRunAt ?? 0);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" }).format(next)).toBe("09:00");

    expect((await call<Schedule>("GET", `/v1/schedules/${id}`, { token: "read" })).body).toMatchObject({ id, nextRunAt: created.body.nextRunAt });
    const replaced = await call<Schedule>("POST", "/v1/schedules", { json: body({ id, cron: "*/10 * * * * *" }) });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, cron: "*/10 * * * * *", timezone: null });

    const paused = await call<Schedule>("POST", `/v1/schedules/${id}/pause`);
    expect(paused.body).toMatchObject({ paused: true, nextRunAt: null });
    const resumed = await call<Schedule>("POST", `/v1/schedules/${id}/resume`);
    expect(resumed.body.paused).toBe(false);
    expect(resumed.body.nextRunAt! % 10_000).toBe(0);

    const listed = await call<{ schedules: Schedule[] }>("GET", "/v1/schedules", { token: "read" });
    expect(listed.body.schedules.find((s) => s.id === id)).toMatchObject({ cron: "*/10 * * * * *", paused: false });
    expect((await call("DELETE", `/v1/schedules/${id}`)).status).toBe(200);
    expectProblem(await call("GET", `/v1/schedules/${id}`), 404);
    expectProblem(await call("DELETE", `/v1/schedules/${id}`), 404);
  });

  it("list the schedules defined in code, which the API may pause but not delete or replace", async () => {
    const listed = await call<{ schedules: Schedule[] }>("GET", "/v1/schedules", { token: "read" });
    expect(listed.body.schedules.find((s) => s.id === "nightly-heartbeat")).toMatchObject({ source: "code", cron: "0 3 * * *", queue: "maintenance" });
    expectProblem(await call("DELETE", "/v1/schedules/nightly-heartbeat"), 409);
    expectProblem(await call("POST", "/v1/schedules", { json: body({ id: "nightly-heartbeat" }) }), 409);
    expect((await call<Schedule>("POST", "/v1/schedules/nightly-heartbeat/pause")).body).toMatchObject({ paused: true, source: "code" });
    expect((await call<Schedule>("POST", "/v1/schedules/nightly-heartbeat/resume")).body).toMatchObject({ paused: false });
  });

  it("take ticks only with a QStash signature", async () => {
    expect((await call("POST", "/v1/schedules/tick", { token: null, json: { at: Date.now() } })).status).toBe(401);
  });
});
