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

function flowControlFields(record: MessageRecord | ScheduleRecord): Record<string, unknown> {
  const flow = record.flowControl;
  if (!flow) return {};
  return { flowControlKey: flow.key, parallelism: flow.parallelism, rate: flow.rate, period: flow.period };
}

/** A message as GET /v2/messages/{id} shows it. */
export function messageView(message: MessageRecord): Record<string, unknown> {
  return {
    messageId: message.messageId,
    url: message.url,
    method: message.method,
    header: message.header,
    ...bodyFields(message.bodyBase64, "body"),
    maxRetries: message.maxRetries,
    retryDelayExpression: message.retryDelayExpression,
    notBefore: message.notBefore,
    createdAt: message.createdAt,
    callback: message.callback,
    failureCallback: message.failureCallback,
    queueName: message.queueName,
    scheduleId: message.scheduleId,
    callerIp: message.callerIp,
    ...flowControlFields(message),
    label: message.labels?.[0],
    labels: message.labels,
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
    method: schedule.method,
    header: schedule.header,
    ...bodyFields(schedule.bodyBase64, "body"),
    retries: schedule.retries,
    retryDelayExpression: schedule.retryDelayExpression,
    delay: schedule.delay,
    callback: schedule.callback,
    failureCallback: schedule.failureCallback,
    callerIp: schedule.callerIp,
    isPaused: schedule.isPaused,
    queueName: schedule.queueName,
    ...flowControlFields(schedule),
    label: schedule.labels?.[0],
    labels: schedule.labels,
    lastScheduleTime: schedule.lastScheduleTime,
    nextScheduleTime: schedule.nextScheduleTime,
  };
}

export function queueView(queue: QueueRecord, lag: number): Record<string, unknown> {
  return { name: queue.name, parallelism: queue.parallelism, paused: queue.paused, createdAt: queue.createdAt, updatedAt: queue.updatedAt, lag };
}
