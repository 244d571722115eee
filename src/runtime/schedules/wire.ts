/**
 * Schedules wired to an invocation's clients: the store over its Redis client, fires enqueued
 * through the queue core (inputs sealed when encryption at rest is on), a push published for each
 * queue that got a task, ticks published through QStash. The cron and POST /v1/schedules/tick both
 * call runSchedules.
 */
import { createScheduleStore, type ScheduleStore } from "../../queue/schedules/store";
import { sealingTasks } from "../../security/index";
import type { Clients } from "../clients";
import { publishEnqueuePush } from "../enqueue-push";
import type { Runtime } from "../runtime";
import type { ScheduleFunction } from "../schedule";
import { type FireDeps, type FireReport, fireDueSchedules } from "./fire";
import { syncCodeSchedules } from "./sync";
import { tickPublisher } from "./ticks";

export function scheduleStore(clients: Pick<Clients, "redis" | "prefix">): ScheduleStore {
  return createScheduleStore(clients.redis, { prefix: clients.prefix });
}

export function publishTicks(clients: Pick<Clients, "qstash" | "publicUrl">): (times: readonly number[]) => Promise<number> {
  return tickPublisher(clients.qstash, clients.publicUrl);
}

type RuntimeParts = Pick<Runtime, "tasks" | "clock" | "log" | "payloads" | "clients">;

function fireDeps(runtime: RuntimeParts): FireDeps {
  return {
    schedules: scheduleStore(runtime.clients),
    tasks: sealingTasks(runtime.tasks, runtime.payloads ?? null),
    clock: runtime.clock,
    log: runtime.log,
    push: (queue) => publishEnqueuePush(runtime.clients, queue),
    publishTicks: publishTicks(runtime.clients),
  };
}

/** Code schedules synchronized (when the deployed set changed), then due schedules fired. Never throws. */
export async function runSchedules(runtime: RuntimeParts, code: readonly ScheduleFunction[], lookaheadMs?: number): Promise<FireReport | null> {
  const deps = fireDeps(runtime);
  try {
    if (await syncCodeSchedules(deps.schedules, code, runtime.clock.now())) {
      runtime.log.info("code schedules synchronized", { schedules: code.map((schedule) => schedule.name) });
    }
    const report = await fireDueSchedules(deps, lookaheadMs);
    if (report.fired + report.duplicates > 0) runtime.log.info("schedules fired", { ...report });
    return report;
  } catch (error) {
    runtime.log.warn("schedules could not be fired; the next tick or cron tries again", { error: String(error) });
    return null;
  }
}
