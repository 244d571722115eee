import type { AttemptOutcome } from "./delivery";
import { newId } from "./publish";
import type { CallbackOptions, MessageRecord } from "./types";

/**
 * The message QStash publishes to a callback (after each attempt that got a response) or to a failure
 * callback (once, when the retries ran out): a JSON body describing the source message and the
 * response, delivered and signed like any message, with sub = the callback URL.
 */
export function callbackMessage(
  source: MessageRecord,
  outcome: AttemptOutcome,
  target: { url: string; options?: CallbackOptions },
  now: number,
  dlqId?: string,
): MessageRecord {
  const options = target.options;
  const body = {
    status: outcome.status ?? 0,
    header: outcome.header ?? {},
    body: outcome.bodyBase64 ?? "",
    retried: source.retried,
    maxRetries: source.maxRetries,
    ...(dlqId ? { dlqId } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
    sourceMessageId: source.messageId,
    topicName: source.topicName,
    endpointName: source.endpointName,
    url: source.url,
    method: source.method,
    sourceHeader: source.header,
    sourceBody: source.bodyBase64,
    notBefore: source.notBefore,
    createdAt: source.createdAt,
    scheduleId: source.scheduleId,
    callerIP: source.callerIp,
  };
  return {
    messageId: newId("msg_"),
    url: target.url,
    method: options?.method ?? "POST",
    header: { "Content-Type": ["application/json"], ...options?.header },
    bodyBase64: Buffer.from(JSON.stringify(body)).toString("base64"),
    maxRetries: options?.retries ?? 3,
    retried: 0,
    retryDelayExpression: options?.retryDelayExpression,
    notBefore: now + (options?.delayMs ?? 0),
    createdAt: now,
    timeoutMs: options?.timeoutMs ?? source.timeoutMs,
    callbackOf: source.messageId,
  };
}
