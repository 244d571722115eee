import { createHash, randomBytes } from "node:crypto";
import { parseCount, parseDuration } from "./durations";
import { parseFlowControl } from "./flow-control";
import { checkRetryDelay } from "./retry-delay";
import { QStashApiError, type CallbackOptions, type FlowControlSetting, type HttpMethod, type MessageRecord } from "./types";

export interface PublishLimits {
  /** Retries when Upstash-Retries is absent (QStash: 3). */
  defaultRetries: number;
  /** Timeout of a delivery when Upstash-Timeout is absent. */
  defaultTimeoutMs: number;
  maxMessageBytes: number;
}

/** Request headers by lower-case name, several values joined by ", " as HTTP allows. */
export type HeaderMap = Map<string, string>;

/** The Upstash-* options that a message and a schedule share (a callback message has the base ones). */
export interface DeliveryOptions extends CallbackOptions {
  callback?: string;
  failureCallback?: string;
  callbackOptions?: CallbackOptions;
  failureCallbackOptions?: CallbackOptions;
  flowControl?: FlowControlSetting;
  labels?: string[];
}

const methods = new Set<HttpMethod>(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]);
const forwardPrefix = "upstash-forward-";
const headerName = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;

let idSequence = 0;

export function newId(prefix: string): string {
  // Time and a sequence first so that ids sort by creation (Redis orders equal due times by id, which
  // keeps a queue FIFO), then randomness so that ids made after a restart never collide.
  idSequence = (idSequence + 1) % 36 ** 4;
  const order = Date.now().toString(36).padStart(9, "0") + idSequence.toString(36).padStart(4, "0");
  return `${prefix}${order}${randomBytes(8).toString("base64url")}`;
}

/** "content-type" → "Content-Type", the casing QStash shows and delivers. */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** A URL destination (possibly percent-encoded); anything else names a URL group. */
export function isUrlDestination(raw: string): boolean {
  return /^https?(:|%3A)/i.test(raw);
}

const groupName = /^[A-Za-z0-9_.-]{1,100}$/;

/** Names of queues and URL groups: letters, digits, _ . - */
export function checkName(kind: "queue" | "URL group", name: string): string {
  if (!groupName.test(name)) throw new QStashApiError(400, `invalid ${kind} name ${JSON.stringify(name)} (letters, digits, _ . - up to 100)`);
  return name;
}

/** Checks a destination, repairing the "https:/host" that path normalisation leaves of "https://host". */
export function checkDestination(raw: string): string {
  // Some clients percent-encode the whole destination ("https%3A%2F%2Fhost%2Fpath").
  const decoded = /^https?%3A/i.test(raw) ? decodeURIComponent(raw) : raw;
  const destination = decoded.replace(/^(https?):\/(?!\/)/, "$1://");
  if (!/^https?:\/\//.test(destination)) {
    throw new QStashApiError(400, `invalid destination ${JSON.stringify(raw)}: expected an http(s) URL or a URL group name`);
  }
  try {
    new URL(destination);
  } catch {
    throw new QStashApiError(400, `invalid destination URL ${JSON.stringify(raw)}`);
  }
  return destination;
}

function checkUrlHeader(headers: HeaderMap, name: string): string | undefined {
  const value = headers.get(name);
  if (value === undefined) return undefined;
  if (!/^https?:\/\//.test(value)) throw new QStashApiError(400, `invalid ${canonicalHeaderName(name)} header: ${JSON.stringify(value)} is not an http(s) URL`);
  return value;
}

/**
 * Upstash-Callback-Retries, -Timeout, -Delay, -Method, -Retry-Delay, -Forward-* (and the same under
 * Upstash-Failure-Callback-*) shape the callback message as the plain headers shape a message.
 */
function readCallbackOptions(headers: HeaderMap, prefix: string, limits: PublishLimits): CallbackOptions | undefined {
  const renamed: HeaderMap = new Map();
  for (const [name, value] of headers) if (name.startsWith(prefix)) renamed.set(`upstash-${name.slice(prefix.length)}`, value);
  if (renamed.size === 0) return undefined;
  const { method, header, retries, retryDelayExpression, delayMs, timeoutMs } = readDeliveryOptions(renamed, limits);
  return { method, header, retries, retryDelayExpression, delayMs, timeoutMs };
}

export function readDeliveryOptions(headers: HeaderMap, limits: PublishLimits): DeliveryOptions {
  const method = (headers.get("upstash-method") ?? "POST").toUpperCase() as HttpMethod;
  if (!methods.has(method)) throw new QStashApiError(400, `invalid Upstash-Method header: ${JSON.stringify(method)}`);
  const header: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    if (!name.startsWith(forwardPrefix) || name.length === forwardPrefix.length) continue;
    // Batch entries bring headers as JSON: refuse what could not be sent as an HTTP header.
    if (!headerName.test(name) || !headerValue.test(value)) throw new QStashApiError(400, `invalid forwarded header ${JSON.stringify(name)}`);
    header[canonicalHeaderName(name.slice(forwardPrefix.length))] = [value];
  }
  const contentType = headers.get("content-type");
  if (contentType !== undefined) header["Content-Type"] = [contentType];
  const retryDelay = headers.get("upstash-retry-delay");
  if (retryDelay !== undefined) checkRetryDelay(retryDelay);
  const delay = headers.get("upstash-delay");
  const timeout = headers.get("upstash-timeout");
  const retries = headers.get("upstash-retries");
  const flowKey = headers.get("upstash-flow-control-key");
  const labels = headers.get("upstash-label")?.split(",").map((label) => label.trim()).filter(Boolean);
  return {
    method,
    header,
    retries: retries === undefined ? limits.defaultRetries : parseCount(retries, "Upstash-Retries"),
    retryDelayExpression: retryDelay,
    delayMs: delay === undefined ? undefined : parseDuration(delay, "Upstash-Delay"),
    // Timers overflow past 2^31 ms (24.8 days); no delivery waits that long anyway.
    timeoutMs: Math.min(timeout === undefined ? limits.defaultTimeoutMs : parseDuration(timeout, "Upstash-Timeout"), 2 ** 31 - 1),
    callback: checkUrlHeader(headers, "upstash-callback"),
    failureCallback: checkUrlHeader(headers, "upstash-failure-callback"),
    callbackOptions: readCallbackOptions(headers, "upstash-callback-", limits),
    failureCallbackOptions: readCallbackOptions(headers, "upstash-failure-callback-", limits),
    flowControl: flowKey === undefined ? undefined : parseFlowControl(flowKey, headers.get("upstash-flow-control-value")),
    labels: labels?.length ? labels : undefined,
  };
}

export interface PublishInput {
  destination: string;
  headers: HeaderMap;
  body: Buffer;
  queueName?: string;
  scheduleId?: string;
  /** Set for each endpoint of a URL group the message was published to. */
  endpoint?: { topicName: string; endpointName?: string };
  callerIp?: string;
  now: number;
}

export interface PublishPlan {
  message: MessageRecord;
  /** Upstash-Deduplication-Id, or the content hash when content-based deduplication is asked for. */
  deduplicationId?: string;
}

/** Turns one publish (or one batch entry) into the message to store; refuses bad input before anything is written. */
export function planMessage(input: PublishInput, limits: PublishLimits): PublishPlan {
  if (input.body.length > limits.maxMessageBytes) {
    throw new QStashApiError(413, `message body of ${input.body.length} bytes exceeds the limit of ${limits.maxMessageBytes} bytes`);
  }
  const url = checkDestination(input.destination);
  const options = readDeliveryOptions(input.headers, limits);
  const notBeforeHeader = input.headers.get("upstash-not-before");
  const notBefore = notBeforeHeader !== undefined
    ? parseCount(notBeforeHeader, "Upstash-Not-Before") * 1000
    : input.now + (options.delayMs ?? 0);
  const message: MessageRecord = {
    messageId: newId("msg_"),
    url,
    method: options.method,
    header: options.header,
    bodyBase64: input.body.toString("base64"),
    maxRetries: options.retries,
    retried: 0,
    retryDelayExpression: options.retryDelayExpression,
    notBefore,
    createdAt: input.now,
    timeoutMs: options.timeoutMs,
    callback: options.callback,
    failureCallback: options.failureCallback,
    callbackOptions: options.callbackOptions,
    failureCallbackOptions: options.failureCallbackOptions,
    queueName: input.queueName,
    scheduleId: input.scheduleId,
    topicName: input.endpoint?.topicName,
    endpointName: input.endpoint?.endpointName,
    flowControl: options.flowControl,
    labels: options.labels,
    callerIp: input.callerIp,
  };
  let deduplicationId = input.headers.get("upstash-deduplication-id");
  if (deduplicationId === undefined && input.headers.get("upstash-content-based-deduplication") === "true") {
    // QStash derives the id from the destination, the body and the forwarded headers.
    const hash = createHash("sha256").update(url).update("\n").update(input.body).update("\n");
    for (const name of Object.keys(message.header).sort()) hash.update(`${name}:${message.header[name]?.join(",")}\n`);
    deduplicationId = `content:${hash.digest("base64url")}`;
  }
  // A URL group's endpoints each get a message; each is deduplicated on its own.
  if (deduplicationId !== undefined && input.endpoint) deduplicationId += `\n${url}`;
  return { message, deduplicationId };
}
