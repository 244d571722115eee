/**
 * Firing schedules, exactly once per fire time. Whoever runs this (the minute cron, a tick QStash
 * delivers at a fire time, a late or duplicate tick, two at once) does the same:
 *  1. one look: the due set up to a minute ahead (one command when nothing is due);
 *  2. for each due schedule, the fire time to run: the latest one not after now (the catch-up
 *     policy: after downtime, the latest missed fire runs once, never a flood);
 *  3. enqueue its task with the id `sched:<schedule>:<fire ms>`: a second enqueue of the same fire
 *     time, by anyone, is a duplicate the queue core refuses to create;
 *  4. advance the schedule to its next fire time only if it is still at the time read (a
 *     compare-and-set script), so a worker dying between 3 and 4 leaves it due, and the next one
 *     enqueues a duplicate (nothing) and advances.
 * Then ticks are published for the next fire times: delayed QStash messages that arrive on time.
 */
import { latestFire, nextFire } from "../../queue/schedules/cron";
import { fireTaskId, type ScheduleStore } from "../../queue/schedules/store";
import type { DueSchedule, ScheduleDefinition, ScheduleRun } from "../../queue/schedules/types";
import type { TaskQueue } from "../../queue/types";
import type { Clock } from "../budget";
import type { Logger } from "../logger";
import { taskIdOf } from "../../queue/index";

/** Schedules fired per look; more wait for the next tick or minute. */
export const FIRE_LIMIT = 100;
/** How far ahead the cron looks, to publish ticks for fires in the coming minute. */
export const LOOKAHEAD_MS = 60_000;

export interface FireDeps {
  schedules: ScheduleStore;
  tasks: Pick<TaskQueue, "enqueue">;
  clock: Clock;
  log: Logger;
  /** Publishes the push that starts a worker for a queue that just got a task. */
  push(queue: string): Promise<unknown>;
  /** A definition's input as its task takes it (opened, when encryption at rest sealed it). */
  openInput?(definition: ScheduleDefinition): Promise<unknown>;
  /** Delayed pushes that fire the schedules at these times (ms). */
  publishTicks(times: readonly number[]): Promise<unknown>;
}

export interface FireReport {
  /** Fires whose task was created now. */
  fired: number;
  /** Fires whose task existed already (someone else got there first). */
  duplicates: number;
  /** Ticks asked for (fire times to come). */
  ticks: number;
}

export async function fireDueSchedules(deps: FireDeps, lookaheadMs = LOOKAHEAD_MS): Promise<FireReport> {
  const now = deps.clock.now();
  const report: FireReport = { fired: 0, duplicates: 0, ticks: 0 };
  const look = await deps.schedules.look(now + lookaheadMs, FIRE_LIMIT);
  if (look.length === 0) return report;
  const due = await deps.schedules.definitions(look.filter((entry) => entry.dueAt <= now));
  const upcoming = look.filter((entry) => entry.dueAt > now).map((entry) => entry.dueAt);
  const byQueue = new Map<string, DueSchedule[]>();
  for (const entry of due) byQueue.set(entry.definition.queue, [...(byQueue.get(entry.definition.queue) ?? []), entry]);
  const nextTimes = await Promise.all([...byQueue].map(([queue, entries]) => fireQueue(queue, entries, now, deps, report)));
  const times = [...upcoming, ...nextTimes.flat()];
  if (times.length > 0) {
    report.ticks = times.length;
    await deps.publishTicks(times).catch((error: unknown) => deps.log.warn("could not publish schedule ticks; the cron covers them", { error: String(error) }));
  }
  return report;
}

/** One enqueue for the queue's due schedules, then each advanced; returns the next fire times. */
async function fireQueue(queue: string, entries: DueSchedule[], now: number, deps: FireDeps, report: FireReport): Promise<number[]> {
  const fires = entries.map((entry) => {
    const fireAt = latestFire(entry.definition, entry.dueAt, now) ?? entry.dueAt;
    // the run names the task by its full id (`<queue>~<local>`), as GET /v1/tasks/{id} takes it
    return { ...entry, fireAt, taskId: taskIdOf(queue, fireTaskId(entry.definition.id, fireAt)) };
  });
  let error: string | undefined;
  try {
    const inputs = await Promise.all(fires.map((fire) => (deps.openInput ? deps.openInput(fire.definition) : fire.definition.input)));
    const results = await deps.tasks.enqueue(queue, fires.map((fire, i) => ({ id: fire.taskId, fn: fire.definition.fn, input: inputs[i] })));
    const created = results.filter((result) => !result.duplicate).length;
    report.fired += created;
    report.duplicates += results.length - created;
    if (created > 0) await deps.push(queue);
  } catch (cause) {
    // Bad for every attempt (an input that no longer fits): recorded in the run, not retried each tick.
    error = String(cause);
    deps.log.warn("schedule fire could not enqueue", { queue, schedules: fires.map((fire) => fire.definition.id), error });
  }
  const advanced = await Promise.all(
    fires.map(async (fire) => {
      const next = nextFire(fire.definition, Math.max(now, fire.fireAt));
      const run: ScheduleRun = { at: fire.fireAt, taskId: fire.taskId, firedAt: now, ...(error === undefined ? {} : { error }) };
      return (await deps.schedules.advance(fire.definition.id, fire.dueAt, next, run)) ? next : null;
    }),
  );
  return advanced.filter((next): next is number => next !== null);
}
