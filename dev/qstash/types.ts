/** The records the QStash dev server keeps in Redis, shaped after what QStash's API returns. */

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD";

export interface FlowControlSetting {
  key: string;
  /** At most this many deliveries of the key in flight at once. */
  parallelism?: number;
  /** At most this many deliveries of the key started per period. */
  rate?: number;
  /** The rate window, in seconds (QStash's default: 1). */
  period?: number;
}

/** Upstash-Callback-* (or Upstash-Failure-Callback-*) headers: how the callback message itself is sent. */
export interface CallbackOptions {
  method: HttpMethod;
  header: Record<string, string[]>;
  retries: number;
  retryDelayExpression?: string;
  delayMs?: number;
  timeoutMs: number;
}

/** A flow-control key paused or pinned through the API (kept so that a restart keeps it). */
export interface FlowControlOverride {
  /** The flow-control key. */
  name: string;
  paused: boolean;
  pinned: Omit<FlowControlSetting, "key">;
}

/** A message waiting for (another) delivery attempt. */
export interface MessageRecord {
  messageId: string;
  /** The destination URL, exactly as published (query string included). */
  url: string;
  method: HttpMethod;
  /** Headers delivered to the destination (Upstash-Forward-* already stripped of the prefix). */
  header: Record<string, string[]>;
  /** The body, base64 so that binary bodies survive the JSON round trip. */
  bodyBase64: string;
  maxRetries: number;
  /** How many delivery attempts failed so far; sent as Upstash-Retried. */
  retried: number;
  retryDelayExpression?: string;
  /** Earliest delivery time, ms since the epoch. */
  notBefore: number;
  createdAt: number;
  timeoutMs: number;
  callback?: string;
  failureCallback?: string;
  callbackOptions?: CallbackOptions;
  failureCallbackOptions?: CallbackOptions;
  queueName?: string;
  scheduleId?: string;
  /** Set when published to a URL group: one message per endpoint. */
  topicName?: string;
  endpointName?: string;
  flowControl?: FlowControlSetting;
  labels?: string[];
  callerIp?: string;
  /** Set on callback messages: which message's response they carry (not delivered again as a callback). */
  callbackOf?: string;
}

/** A message whose retries ran out, with the last response it got. */
export interface DlqRecord extends MessageRecord {
  dlqId: string;
  responseStatus?: number;
  responseHeader?: Record<string, string[]>;
  responseBodyBase64?: string;
  /** Why the last attempt failed when there was no response (timeout, refused connection). */
  error?: string;
  failedAt: number;
}

/** A cron schedule: a message template published at every tick. */
export interface ScheduleRecord {
  scheduleId: string;
  cron: string;
  createdAt: number;
  /** A URL, or the name of a URL group resolved at each tick. */
  destination: string;
  method: HttpMethod;
  header: Record<string, string[]>;
  bodyBase64: string;
  retries: number;
  retryDelayExpression?: string;
  /** Delay of each published message, in seconds. */
  delay?: number;
  timeoutMs: number;
  callback?: string;
  failureCallback?: string;
  callbackOptions?: CallbackOptions;
  failureCallbackOptions?: CallbackOptions;
  queueName?: string;
  flowControl?: FlowControlSetting;
  labels?: string[];
  callerIp?: string;
  isPaused: boolean;
  lastScheduleTime?: number;
  nextScheduleTime?: number;
}

/** A URL group (topic): publishing to its name sends one message to each endpoint. */
export interface TopicRecord {
  name: string;
  endpoints: { url: string; name?: string }[];
  createdAt: number;
  updatedAt: number;
}

/** A named queue: its messages go out in order, at most `parallelism` at a time. */
export interface QueueRecord {
  name: string;
  parallelism: number;
  paused: boolean;
  createdAt: number;
  updatedAt: number;
}

/** An error answered to the API caller as `{ error }` with an HTTP status, as QStash does. */
export class QStashApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "QStashApiError";
  }
}
