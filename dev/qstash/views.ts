import type { DlqRecord, MessageRecord, QueueRecord, ScheduleRecord } from "./types";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** QStash shows a body as `body` when it is UTF-8 text and as `<name>Base64` otherwise. */
function bodyFields(base64: string | undefined, name: string): Record<string, string> {
  if (base64 === undefined) return {};
  try {
    return { [name]: strictUtf8.decode(Buffer.from(base64, "base64")) };
  } catch {
    return { [`${name}Base64`]: base64 };
  }
}

/** The fields a message and a schedule show alike. */
function deliveryFields(record: MessageRecord | ScheduleRecord): Record<string, unknown> {
  const flow = record.flowControl;
  return {
    method: record.method,
    header: record.header,
    ...bodyFields(record.bodyBase64, "body"),
    retryDelayExpression: record.retryDelayExpression,
    callback: record.callback,
    failureCallback: record.failureCallback,
    queueName: record.queueName,
    callerIp: record.callerIp,
    ...(flow ? { flowControlKey: flow.key, parallelism: flow.parallelism, rate: flow.rate, period: flow.period } : {}),
    label: record.labels?.[0],
    labels: record.labels,
  };
}

/** A message as GET /v2/messages/{id} shows it. */
export function messageView(message: MessageRecord): Record<string, unknown> {
  return {
    messageId: message.messageId,
    url: message.url,
    topicName: message.topicName,
    endpointName: message.endpointName,
    ...deliveryFields(message),
    maxRetries: message.maxRetries,
    notBefore: message.notBefore,
    createdAt: message.createdAt,
    scheduleId: message.scheduleId,
  };
}

/** A dead message as GET /v2/dlq lists it: the message plus the last response. */
export function dlqView(entry: DlqRecord): Record<string, unknown> {
  return {
    ...messageView(entry),
    dlqId: entry.dlqId,
    responseStatus: entry.responseStatus,
    responseHeader: entry.responseHeader,
    ...bodyFields(entry.responseBodyBase64, "responseBody"),
    error: entry.error,
  };
}

export function scheduleView(schedule: ScheduleRecord): Record<string, unknown> {
  return {
    scheduleId: schedule.scheduleId,
    cron: schedule.cron,
    createdAt: schedule.createdAt,
    destination: schedule.destination,
    ...deliveryFields(schedule),
    retries: schedule.retries,
    delay: schedule.delay,
    isPaused: schedule.isPaused,
    lastScheduleTime: schedule.lastScheduleTime,
    nextScheduleTime: schedule.nextScheduleTime,
  };
}

export function queueView(queue: QueueRecord, lag: number): Record<string, unknown> {
  return { name: queue.name, parallelism: queue.parallelism, paused: queue.paused, createdAt: queue.createdAt, updatedAt: queue.updatedAt, lag };
}
