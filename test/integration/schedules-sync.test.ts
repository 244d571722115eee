/**
 * Schedules defined in code reach Redis when the deployed set changes, and only then: an unchanged
 * deploy costs the cron one GET; a pause set over the API survives; a schedule removed from the code
 * is removed; schedules created over the API are left alone.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { countRestRequests } from "../../bench/rest-counter";
import { createScheduleStore } from "../../src/queue/schedules/store";
import { echo } from "../../functions/echo";
import { sleep } from "../../functions/sleep";
import { defineSchedule, registry, syncCodeSchedules } from "../../src/runtime/index";
import { deleteKeysWithPrefix, randomPrefix, testRedis } from "../support/redis-client";

const prefix = randomPrefix("sync").slice(0, -1);
afterAll(() => deleteKeysWithPrefix(prefix));
const now = Date.parse("2026-05-01T10:00:00Z");
const store = createScheduleStore(testRedis({ automaticDeserialization: false, responseEncoding: false }), { prefix, now: () => now });

const hourly = defineSchedule({ name: "hourly", cron: "0 * * * *", fn: "echo", input: { n: 1 } });
const nightly = defineSchedule({ name: "nightly", cron: "0 3 * * *", timezone: "Europe/Paris", fn: "echo", queue: "maintenance" });

describe("code schedules", () => {
  it("are written once per deployed set, keep an API pause, and go when removed from the code", async () => {
    await store.put({ id: "from-api", cron: "*/5 * * * *", timezone: null, fn: "echo", input: null, queue: "default", paused: false, source: "api", createdAt: now });
    expect(await syncCodeSchedules(store, [hourly, nightly], now)).toBe(true);
    expect((await store.list()).map((s) => [s.id, s.source])).toEqual([["from-api", "api"], ["hourly", "code"], ["nightly", "code"]]);
    expect(await store.get("nightly")).toMatchObject({ timezone: "Europe/Paris", queue: "maintenance", nextRunAt: Date.parse("2026-05-02T01:00:00Z") });

    // The same deploy again: one GET, nothing written.
    const counter = countRestRequests(inject("restUrl"));
    const before = counter.requests();
    expect(await syncCodeSchedules(store, [hourly, nightly], now)).toBe(false);
    expect(counter.requests() - before).toBe(1);

    const paused = await store.get("hourly");
    await store.put({ ...paused!, paused: true });
    const changed = defineSchedule({ ...hourly, input: { n: 2 } });
    expect(await syncCodeSchedules(store, [changed], now)).toBe(true);
    expect(await store.get("hourly")).toMatchObject({ input: { n: 2 }, paused: true, nextRunAt: null });
    expect(await store.get("nightly")).toBeNull();
    expect(await store.get("from-api")).toMatchObject({ source: "api" });
  });

  it("are refused at definition when the cron, zone or name is bad", () => {
    expect(() => defineSchedule({ name: "bad", cron: "61 * * * *", fn: "echo" })).toThrow(/schedule "bad": cron/);
    expect(() => defineSchedule({ name: "bad", cron: "* * * * *", timezone: "Nowhere/Land", fn: "echo" })).toThrow(/timezone/);
    expect(() => defineSchedule({ name: "has.dot", cron: "* * * * *", fn: "echo" })).toThrow(/name/);
    // The registry checks what the schedule enqueues against the functions beside it.
    expect(() => registry([echo], [], [defineSchedule({ name: "x", cron: "* * * * *", fn: "nope" })])).toThrow(/not a registered task function/);
    expect(() => registry([sleep], [], [defineSchedule({ name: "x", cron: "* * * * *", fn: "sleep", input: { ms: -1 } })])).toThrow(/fails the schema/);
    expect(() => registry([echo], [], [hourly, { ...hourly }])).toThrow(/two schedules are named "hourly"/);
  });
});
