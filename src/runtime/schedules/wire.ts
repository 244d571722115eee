/**
 * Schedules wired to the Worker's clients: the store over the internal Redis client, fires enqueued
 * through the queue core (inputs sealed when encryption at rest is on), workers nudged, ticks
 * published through QStash. The cron and POST /v1/schedules/tick both call runSchedules.
 */
import type { Env } from "../../env";
import { createScheduleStore, type ScheduleStore } from "../../queue/schedules/store";
import { sealingTasks } from "../../security/sealed-stores";
import { internalRedis, qstashClient, type Runtime } from "../context";
import { nudgeWorkers } from "../nudge";
import type { ScheduleFunction } from "../schedule";
import { type FireDeps, type FireReport, fireDueSchedules } from "./fire";
import { syncCodeSchedules } from "./sync";
import { tickPublisher } from "./ticks";

export function scheduleStore(env: Env): ScheduleStore {
  return createScheduleStore(internalRedis(env));
}

export function publishTicks(env: Env): (times: readonly number[]) => Promise<number> {
  return tickPublisher(qstashClient(env), env.EDGEQ_PUBLIC_URL);
}

type RuntimeParts = Pick<Runtime, "tasks" | "clock" | "log" | "payloads">;

export function fireDeps(env: Env, runtime: RuntimeParts): FireDeps {
  return {
    schedules: scheduleStore(env),
    tasks: sealingTasks(runtime.tasks, runtime.payloads ?? null),
    clock: runtime.clock,
    log: runtime.log,
    nudge: (queue) => nudgeWorkers(env, queue, { log: runtime.log }),
    publishTicks: publishTicks(env),
  };
}

/** Code schedules synchronized (when the deployed set changed), then due schedules fired. Never throws. */
export async function runSchedules(
  env: Env,
  runtime: RuntimeParts,
  code: readonly ScheduleFunction[],
  lookaheadMs?: number,
): Promise<FireReport | null> {
  const deps = fireDeps(env, runtime);
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
