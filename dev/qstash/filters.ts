import { QStashApiError, type MessageRecord } from "./types";

/** What bulk actions and logs filter on: messages, dead messages and log events alike. */
export type Filtered = Pick<MessageRecord, "messageId" | "url" | "queueName" | "scheduleId" | "topicName" | "labels" | "flowControl" | "createdAt" | "callerIp"> & {
  responseStatus?: number;
};

/** Query parameters that select records in bulk actions; each may repeat (any value matches). */
const fields: Record<string, (record: Filtered) => (string | number | undefined)[]> = {
  messageId: (record) => [record.messageId],
  url: (record) => [record.url],
  queueName: (record) => [record.queueName],
  topicName: (record) => [record.topicName],
  scheduleId: (record) => [record.scheduleId],
  label: (record) => record.labels ?? [],
  flowControlKey: (record) => [record.flowControl?.key],
  callerIp: (record) => [record.callerIp],
  host: (record) => [new URL(record.url).host],
  path: (record) => [new URL(record.url).pathname],
  responseStatus: (record) => [record.responseStatus],
};

const paging = new Set(["count", "cursor", "dlqIds", "messageIds", "fromDate", "toDate", "order", "state"]);

/** The destination's host and path: filters of message cancels and logs that QStash's DLQ refuses. */
const HOST_PATH = ["host", "path"];

/** Refuses filters the dev server does not know, or that this endpoint does not take, rather than silently matching everything. */
export function checkFilters(query: URLSearchParams, endpoint: "dlq" | "other" = "other"): void {
  for (const name of query.keys()) {
    const known = paging.has(name) || name in fields;
    if (!known || (endpoint === "dlq" && HOST_PATH.includes(name))) throw new QStashApiError(400, `unsupported filter ${JSON.stringify(name)}`);
  }
}

export function hasFilters(query: URLSearchParams): boolean {
  return [...query.keys()].some((name) => name in fields || name === "fromDate" || name === "toDate");
}

export function matchesFilters(record: Filtered, query: URLSearchParams): boolean {
  for (const [name, valuesOf] of Object.entries(fields)) {
    const wanted = query.getAll(name);
    if (wanted.length === 0) continue;
    const values = valuesOf(record).map((value) => (value === undefined ? undefined : String(value)));
    if (!wanted.some((value) => values.includes(value))) return false;
  }
  const from = query.get("fromDate");
  const to = query.get("toDate");
  if (from !== null && record.createdAt < Number(from)) return false;
  if (to !== null && record.createdAt > Number(to)) return false;
  return true;
}

/** The `count` query parameter of bulk actions (QStash's default: 100). */
export function countParam(query: URLSearchParams, fallback = 100): number {
  const raw = query.get("count");
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new QStashApiError(400, `invalid count ${JSON.stringify(raw)}`);
  return Number(raw);
}
