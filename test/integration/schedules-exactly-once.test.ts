/**
 * Schedules fire exactly once per fire time, through the real store, queue core, REST server and
 * redis-server: two invocations at once, duplicate and late ticks, a worker that dies between the
 * enqueue and the advance, downtime (the latest missed fire only), and the DST rule.
 */
import { describe, expect, inject, it } from "vitest";
import { countRestRequests } from "../../bench/rest-counter";
import { createScheduleStore, fireTaskId, type ScheduleStore } from "../../src/queue/schedules/store";
import type { ScheduleDefinition } from "../../src/queue/schedules/types";
import { createLogger } from "../../src/runtime/logger";
import { openScheduleInput, sealScheduleInput } from "../../src/runtime/index";
import { createPayloadCipher } from "../../src/security/index";
import { type FireDeps, fireDueSchedules } from "../../src/runtime/schedules/fire";
import { queueFixture, queueName } from "./queue-fixture";
import { testRedis } from "../support/redis-client";
import { taskIdOf } from "../../src/queue/ids";

const fixture = queueFixture();
const log = createLogger("error", {}, () => {});
const at = (iso: string) => Date.parse(iso);

let worlds = 0;

/** Schedules of one test apart from the others' (a sub-prefix, deleted with the fixture's). */
function world(start: string) {
  fixture.clock.now = at(start);
  const prefix = `${fixture.prefix}:w${++worlds}`;
  const store = createScheduleStore(testRedis({ automaticDeserialization: false, responseEncoding: false }), { prefix, now: () => fixture.clock.now });
  const pushed: string[] = [];
  const ticks: number[][] = [];
  const deps: FireDeps = {
    schedules: store,
    tasks: fixture.queue,
    clock: { now: () => fixture.clock.now },
    log,
    push: async (queue) => void pushed.push(queue),
    publishTicks: async (times) => void ticks.push([...times]),
  };
  return { store, deps, pushed, ticks };
}

async function schedule(store: ScheduleStore, fields: Partial<ScheduleDefinition> & Pick<ScheduleDefinition, "cron">): Promise<ScheduleDefinition> {
  const definition: ScheduleDefinition = {
    id: `s-${Math.random().toString(36).slice(2, 10)}`, timezone: null, fn: "echo", input: { hello: 1 }, queue: queueName("sched"),
    paused: false, source: "api", createdAt: fixture.clock.now, ...fields,
  };
  await store.put(definition);
  return definition;
}

/** The id of a schedule's task for one fire time: `<queue>~<fire id>`. */
const firedId = (s: { id: string; queue: string }, fireAt: number): string => taskIdOf(s.queue, fireTaskId(s.id, fireAt));

/** The ids of every task the schedule's queue holds, in enqueue order. */
async function taskIds(queue: string): Promise<string[]> {
  const claimed = await fixture.queue.claim(queue, 100, 60_000);
  return claimed.map((task) => task.id);
}

describe("schedule fires", () => {
  it("an idle look costs one REST request holding one command; a fire a bounded few, whatever the schedule count", async () => {
    const { store, deps } = world("2026-05-01T10:00:30Z");
    for (let i = 0; i < 30; i++) await schedule(store, { cron: `${i} 12 * * *`, queue: "idle-look" });
    const counter = countRestRequests(inject("restUrl"));
    let before = counter.requests();
    expect(await fireDueSchedules(deps)).toEqual({ fired: 0, duplicates: 0, ticks: 0 });
    expect(counter.requests() - before).toBe(1);
    // One due: the look, its definition, the enqueue, the advance (ticks and pushes are QStash's, not Redis's).
    // (The first fire loads the scripts: EVALSHA answers NOSCRIPT once per script.)
    const due = await schedule(store, { cron: "* * * * *" });
    fixture.clock.now = at("2026-05-01T10:01:00.100Z");
    expect(await fireDueSchedules(deps)).toMatchObject({ fired: 1 });
    fixture.clock.now = at("2026-05-01T10:02:00.100Z");
    before = counter.requests();
    expect(await fireDueSchedules(deps)).toMatchObject({ fired: 1 });
    expect(counter.requests() - before).toBe(4);
    expect((await store.get(due.id))?.lastRun?.taskId).toBe(firedId(due, at("2026-05-01T10:02:00Z")));
  });

  it("two invocations at once enqueue the fire time's task once, and advance the schedule once", async () => {
    const { store, deps, pushed } = world("2026-05-01T10:00:30Z");
    const s = await schedule(store, { cron: "* * * * *" });
    expect((await store.get(s.id))?.nextRunAt).toBe(at("2026-05-01T10:01:00Z"));
    fixture.clock.now = at("2026-05-01T10:01:00.200Z");
    const [a, b] = await Promise.all([fireDueSchedules(deps), fireDueSchedules(deps)]);
    expect(a.fired + b.fired).toBe(1);
    // Both saw the fire due (they raced): the second enqueue was a duplicate, not a miss.
    expect(a.duplicates + b.duplicates).toBe(1);
    expect(await taskIds(s.queue)).toEqual([firedId(s, at("2026-05-01T10:01:00Z"))]);
    expect(pushed).toEqual([s.queue]);
    const view = await store.get(s.id);
    expect(view).toMatchObject({ nextRunAt: at("2026-05-01T10:02:00Z"), lastRun: { at: at("2026-05-01T10:01:00Z"), firedAt: fixture.clock.now } });
  });

  it("a duplicate or late tick finds nothing due and enqueues nothing", async () => {
    const { store, deps } = world("2026-05-01T10:00:30Z");
    const s = await schedule(store, { cron: "* * * * *" });
    fixture.clock.now = at("2026-05-01T10:01:00Z");
    expect(await fireDueSchedules(deps, 0)).toMatchObject({ fired: 1 });
    expect(await fireDueSchedules(deps, 0)).toMatchObject({ fired: 0, duplicates: 0 }); // the same tick again
    fixture.clock.now = at("2026-05-01T10:01:40Z");
    expect(await fireDueSchedules(deps, 0)).toMatchObject({ fired: 0, duplicates: 0 }); // a tick 40 s late
    expect(await taskIds(s.queue)).toHaveLength(1);
  });

  it("a worker dying between the enqueue and the advance: the next one enqueues nothing new and advances", async () => {
    const { store, deps } = world("2026-05-01T10:00:30Z");
    const s = await schedule(store, { cron: "* * * * *" });
    fixture.clock.now = at("2026-05-01T10:01:00.500Z");
    const dying: FireDeps = { ...deps, schedules: { ...store, advance: async () => Promise.reject(new Error("invocation killed")) } };
    await expect(fireDueSchedules(dying)).rejects.toThrow("invocation killed");
    // The fault happened after the enqueue: the task is there and the schedule still due.
    expect((await fixture.queue.get(firedId(s, at("2026-05-01T10:01:00Z"))))?.status).toBe("queued");
    expect((await store.get(s.id))?.nextRunAt).toBe(at("2026-05-01T10:01:00Z"));
    fixture.clock.now = at("2026-05-01T10:01:20Z");
    expect(await fireDueSchedules(deps)).toMatchObject({ fired: 0, duplicates: 1 });
    expect((await store.get(s.id))?.nextRunAt).toBe(at("2026-05-01T10:02:00Z"));
    expect(await taskIds(s.queue)).toEqual([firedId(s, at("2026-05-01T10:01:00Z"))]);
  });

  it("after downtime, only the latest missed fire runs, once", async () => {
    const { store, deps } = world("2026-05-01T10:00:30Z");
    const s = await schedule(store, { cron: "*/5 * * * *" });
    fixture.clock.now = at("2026-05-01T13:07:10Z"); // 37 fires missed
    expect(await fireDueSchedules(deps)).toMatchObject({ fired: 1 });
    expect(await taskIds(s.queue)).toEqual([firedId(s, at("2026-05-01T13:05:00Z"))]);
    expect((await store.get(s.id))?.nextRunAt).toBe(at("2026-05-01T13:10:00Z"));
  });

  it("asks for a tick at each next fire time, and at fires due within the cron's look-ahead", async () => {
    const { store, deps, ticks } = world("2026-05-01T10:00:30Z");
    await schedule(store, { cron: "*/10 * * * * *" });
    expect(await fireDueSchedules(deps)).toMatchObject({ fired: 0, ticks: 1 });
    expect(ticks.at(-1)).toContain(at("2026-05-01T10:00:40Z"));
    fixture.clock.now = at("2026-05-01T10:00:40.100Z");
    expect(await fireDueSchedules(deps, 0)).toMatchObject({ fired: 1, ticks: 1 });
    expect(ticks.at(-1)).toEqual([at("2026-05-01T10:00:50Z")]);
  });

  it("a paused schedule never fires; resumed, it fires from the next time after now", async () => {
    const { store, deps } = world("2026-05-01T10:00:30Z");
    const s = await schedule(store, { cron: "* * * * *", paused: true });
    expect((await store.get(s.id))?.nextRunAt).toBeNull();
    fixture.clock.now = at("2026-05-01T10:05:30Z");
    expect(await fireDueSchedules(deps)).toMatchObject({ fired: 0 });
    await store.put({ ...s, paused: false });
    expect((await store.get(s.id))?.nextRunAt).toBe(at("2026-05-01T10:06:00Z"));
  });

  it("opens an input sealed by encryption at rest before its task is enqueued (the queue seals it again for the task)", async () => {
    const { store, deps } = world("2026-05-01T10:00:30Z");
    const cipher = createPayloadCipher(`k1:${Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString("base64")}`);
    const id = "sealed-input";
    const sealed = await sealScheduleInput(cipher, id, { secret: "s3cret" });
    expect(JSON.stringify(sealed)).not.toContain("s3cret");
    const s = await schedule(store, { id, cron: "* * * * *", input: sealed });
    fixture.clock.now = at("2026-05-01T10:01:00Z");
    expect(await fireDueSchedules({ ...deps, openInput: (d) => openScheduleInput(cipher, d.id, d.input) })).toMatchObject({ fired: 1 });
    expect((await fixture.queue.get(firedId(s, at("2026-05-01T10:01:00Z"))))?.input).toEqual({ secret: "s3cret" });
  });

  it("a 02:30 New York schedule on the spring-forward day fires once, at 03:30 EDT", async () => {
    const { store, deps } = world("2026-03-08T05:00:00Z"); // 00:00 EST
    const s = await schedule(store, { cron: "30 2 * * *", timezone: "America/New_York" });
    expect((await store.get(s.id))?.nextRunAt).toBe(at("2026-03-08T07:30:00Z"));
    fixture.clock.now = at("2026-03-08T07:30:00.300Z");
    expect(await fireDueSchedules(deps, 0)).toMatchObject({ fired: 1 });
    fixture.clock.now = at("2026-03-08T08:30:00Z");
    expect(await fireDueSchedules(deps, 0)).toMatchObject({ fired: 0 });
    expect(await taskIds(s.queue)).toEqual([firedId(s, at("2026-03-08T07:30:00Z"))]);
    expect((await store.get(s.id))?.nextRunAt).toBe(at("2026-03-09T06:30:00Z"));
  });
});
