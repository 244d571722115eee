/**
 * Schedules wired to an invocation's clients: the store over its Redis client, fires enqueued
 * through the queue core (inputs sealed when encryption at rest is on), a push published for each
 * queue that got a task, ticks published through QStash. The cron and POST /v1/schedules/tick both
 * call runSchedules.
 */
import { createScheduleStore, type ScheduleStore } from "../../queue/schedules/store";
import { type PayloadCipher, sealingTasks } from "../../security/index";
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

/**
 * With encryption at rest on, an API schedule's input is sealed in its definition, bound to the
 * schedule's id (so one schedule's input cannot be swapped into another's); code schedules' inputs
 * are in the code already and stay as they are.
 */
export const scheduleInputScope = (id: string): string => `schedule:${id}`;

export function sealScheduleInput(cipher: PayloadCipher | null, id: string, input: unknown): Promise<unknown> {
  return cipher ? cipher.seal(input, "input", scheduleInputScope(id)) : Promise.resolve(input);
}

export function openScheduleInput(cipher: PayloadCipher | null, id: string, input: unknown): Promise<unknown> {
  return cipher ? cipher.open(input, "input", scheduleInputScope(id)) : Promise.resolve(input);
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
    push: (queue) => publishEnqueuePush(runtime.clients.forQueue(queue), queue),
    openInput: (definition) => openScheduleInput(runtime.payloads ?? null, definition.id, definition.input),
    publishTicks: publishTicks(runtime.clients),
  };
}

/**
 * Code schedules synchronized (when `code` is given and the deployed set changed: the cron's job),
 * and due schedules fired, side by side so that the fingerprint's GET and the look share a request.
 * Never throws.
 */
export async function runSchedules(runtime: RuntimeParts, code: readonly ScheduleFunction[] | null, lookaheadMs?: number): Promise<FireReport | null> {
  const deps = fireDeps(runtime);
  try {
    const [synced, report] = await Promise.all([
      code ? syncCodeSchedules(deps.schedules, code, runtime.clock.now()) : false,
      fireDueSchedules(deps, lookaheadMs),
    ]);
    if (synced && code) runtime.log.info("code schedules synchronized", { schedules: code.map((schedule) => schedule.name) });
    if (report.fired + report.duplicates > 0) runtime.log.info("schedules fired", { ...report });
    return report;
  } catch (error) {
    runtime.log.warn("schedules could not be fired; the next tick or cron tries again", { error: String(error) });
    return null;
  }
}
