import { Cron } from "croner";
import type { CatalogStore } from "./catalog-store";
import { checkDestination, checkName, isUrlDestination, newId, readDeliveryOptions, type HeaderMap, type PublishLimits } from "./publish";
import { QStashApiError, type MessageRecord, type ScheduleRecord } from "./types";

/**
 * Next tick of a QStash cron expression after `from`: five fields, an optional "CRON_TZ=Zone " prefix,
 * and (a dev-server extra that keeps tests short) croner's six-field form with seconds first.
 */
export function nextTick(cron: string, from: number): number | undefined {
  const match = /^CRON_TZ=(\S+)\s+(.*)$/.exec(cron.trim());
  const timezone = match?.[1];
  const pattern = match?.[2] ?? cron.trim();
  try {
    return new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) }).nextRun(new Date(from))?.getTime();
  } catch (error) {
    throw new QStashApiError(400, `invalid Upstash-Cron header ${JSON.stringify(cron)}: ${(error as Error).message}`);
  }
}

export interface ScheduleRequest {
  destination: string;
  headers: HeaderMap;
  body: Buffer;
  callerIp?: string;
  now: number;
}

/** Builds (or rebuilds, with Upstash-Schedule-Id) a schedule from a create request; refuses bad input. */
export function planSchedule(request: ScheduleRequest, limits: PublishLimits, existing?: ScheduleRecord): ScheduleRecord {
  const cron = request.headers.get("upstash-cron");
  if (!cron) throw new QStashApiError(400, "Upstash-Cron header is required to create a schedule");
  if (request.body.length > limits.maxMessageBytes) {
    throw new QStashApiError(413, `schedule body of ${request.body.length} bytes exceeds the limit of ${limits.maxMessageBytes} bytes`);
  }
  const destination = isUrlDestination(request.destination)
    ? checkDestination(request.destination)
    : checkName("URL group", decodeURIComponent(request.destination));
  const options = readDeliveryOptions(request.headers, limits);
  return {
    scheduleId: request.headers.get("upstash-schedule-id") ?? newId("scd_"),
    cron,
    createdAt: existing?.createdAt ?? request.now,
    destination,
    method: options.method,
    header: options.header,
    bodyBase64: request.body.toString("base64"),
    retries: options.retries,
    retryDelayExpression: options.retryDelayExpression,
    delay: options.delayMs === undefined ? undefined : options.delayMs / 1000,
    timeoutMs: options.timeoutMs,
    callback: options.callback,
    failureCallback: options.failureCallback,
    callbackOptions: options.callbackOptions,
    failureCallbackOptions: options.failureCallbackOptions,
    queueName: request.headers.get("upstash-queue-name"),
    flowControl: options.flowControl,
    labels: options.labels,
    callerIp: request.callerIp,
    isPaused: existing?.isPaused ?? false,
    lastScheduleTime: existing?.lastScheduleTime,
    nextScheduleTime: nextTick(cron, request.now),
  };
}

/** The message a schedule publishes at one tick (to its URL, or to one endpoint of its URL group). */
function tickMessage(schedule: ScheduleRecord, now: number, endpoint?: { url: string; name?: string }): MessageRecord {
  return {
    messageId: newId("msg_"),
    url: endpoint?.url ?? schedule.destination,
    topicName: endpoint ? schedule.destination : undefined,
    endpointName: endpoint?.name,
    method: schedule.method,
    header: schedule.header,
    bodyBase64: schedule.bodyBase64,
    maxRetries: schedule.retries,
    retried: 0,
    retryDelayExpression: schedule.retryDelayExpression,
    notBefore: now + (schedule.delay ?? 0) * 1000,
    createdAt: now,
    timeoutMs: schedule.timeoutMs,
    callback: schedule.callback,
    failureCallback: schedule.failureCallback,
    callbackOptions: schedule.callbackOptions,
    failureCallbackOptions: schedule.failureCallbackOptions,
    queueName: schedule.queueName,
    scheduleId: schedule.scheduleId,
    flowControl: schedule.flowControl,
    labels: schedule.labels,
    callerIp: schedule.callerIp,
  };
}

/**
 * Publishes the messages of due schedules, then moves each schedule to its next tick (publish first: a
 * crash in between repeats a tick rather than losing one). Ticks missed while the server was down fire
 * once. Returns the next tick of any schedule, for the delivery loop's timer.
 */
export async function fireDueSchedules(
  catalog: CatalogStore,
  accept: (message: MessageRecord) => Promise<unknown>,
  now: number,
): Promise<number | undefined> {
  for (const schedule of await catalog.dueSchedules(now)) {
    if (isUrlDestination(schedule.destination)) await accept(tickMessage(schedule, now));
    else {
      // A URL group is resolved at each tick, so endpoints added later receive later ticks.
      const endpoints = (await catalog.topics.get(schedule.destination))?.endpoints ?? [];
      if (endpoints.length === 0) console.error(`[qstash-dev] schedule ${schedule.scheduleId}: URL group ${schedule.destination} has no endpoints; tick skipped`);
      for (const endpoint of endpoints) await accept(tickMessage(schedule, now, endpoint));
    }
    await catalog.putSchedule({ ...schedule, lastScheduleTime: now, nextScheduleTime: nextTick(schedule.cron, now) });
  }
  return catalog.nextScheduleAt();
}
