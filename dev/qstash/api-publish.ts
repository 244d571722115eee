import type { CatalogStore } from "./catalog-store";
import type { DeliveryEngine } from "./engine";
import type { EventLog } from "./event-log";
import { endOfPath, type ApiReply, type Route } from "./http-server";
import type { MessageStore } from "./message-store";
import { checkName, isUrlDestination, planMessage, type HeaderMap, type PublishInput, type PublishLimits, type PublishPlan } from "./publish";
import { QStashApiError, type TopicRecord } from "./types";

export interface ApiContext {
  engine: DeliveryEngine;
  events: EventLog;
  messages: MessageStore;
  catalog: CatalogStore;
  limits: PublishLimits;
  signingKeys: { current: string; next: string };
}

export const checkQueueName = (name: string) => checkName("queue", name);

/** The endpoints of a URL group, which must exist and have at least one. */
export async function groupEndpoints(context: ApiContext, rawName: string): Promise<TopicRecord> {
  const name = checkName("URL group", decodeURIComponent(rawName));
  const topic = await context.catalog.topics.get(name);
  if (!topic) throw new QStashApiError(404, `URL group ${name} not found`);
  if (topic.endpoints.length === 0) throw new QStashApiError(400, `URL group ${name} has no endpoints`);
  return topic;
}

/** A URL gives one message; a URL group's name gives one per endpoint, answered as an array. */
async function planPublish(context: ApiContext, input: PublishInput): Promise<{ plans: PublishPlan[]; group: boolean }> {
  if (isUrlDestination(input.destination)) return { plans: [planMessage(input, context.limits)], group: false };
  const topic = await groupEndpoints(context, input.destination);
  const plans = topic.endpoints.map((endpoint) =>
    planMessage({ ...input, destination: endpoint.url, endpoint: { topicName: topic.name, endpointName: endpoint.name } }, context.limits));
  return { plans, group: true };
}

/** Enqueueing to a queue that does not exist creates it with parallelism 1, as QStash does. */
async function ensureQueue(context: ApiContext, name: string, now: number): Promise<void> {
  if (await context.catalog.queues.get(name)) return;
  const queue = { name, parallelism: 1, paused: false, createdAt: now, updatedAt: now };
  await context.catalog.queues.put(queue);
  context.engine.queueChanged(name, queue);
}

async function acceptAll(context: ApiContext, plans: PublishPlan[], now: number) {
  for (const name of new Set(plans.flatMap((plan) => (plan.message.queueName ? [plan.message.queueName] : [])))) {
    await ensureQueue(context, name, now);
  }
  return Promise.all(plans.map(async ({ message, deduplicationId }) => {
    const accepted = await context.engine.accept(message, deduplicationId);
    return { messageId: accepted.messageId, url: message.url, ...(accepted.deduplicated ? { deduplicated: true } : {}) };
  }));
}

async function publishOne(context: ApiContext, input: PublishInput): Promise<ApiReply> {
  const { plans, group } = await planPublish(context, input);
  const results = await acceptAll(context, plans, input.now);
  if (group) return { status: 201, body: results };
  // QStash answers a duplicate with 202 and the first message's id.
  return { status: results[0]?.deduplicated ? 202 : 201, body: results[0] };
}

interface BatchEntry {
  destination?: unknown;
  headers?: unknown;
  body?: unknown;
  queue?: unknown;
}

function batchHeaders(entry: BatchEntry, index: number): HeaderMap {
  if (entry.headers !== undefined && (typeof entry.headers !== "object" || entry.headers === null || Array.isArray(entry.headers))) {
    throw new QStashApiError(400, `batch entry ${index}: headers must be an object of strings`);
  }
  const headers: HeaderMap = new Map();
  for (const [name, value] of Object.entries((entry.headers ?? {}) as Record<string, unknown>)) {
    if (typeof value !== "string") throw new QStashApiError(400, `batch entry ${index}: header ${name} must be a string`);
    headers.set(name.toLowerCase(), value);
  }
  return headers;
}

export function publishRoutes(context: ApiContext): Route[] {
  return [
    {
      method: "POST",
      pattern: /^\/v2\/publish\/(.+)$/,
      handle: async (request, [destination = ""]) => publishOne(context, { ...request, destination }),
    },
    {
      method: "POST",
      pattern: /^\/v2\/enqueue\/([^/?]+)\/(.+)$/,
      handle: async (request, [queue = "", destination = ""]) => {
        return publishOne(context, { ...request, destination, queueName: checkQueueName(decodeURIComponent(queue)) });
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/v2/batch${endOfPath}`),
      handle: async (request) => {
        let entries: unknown;
        try {
          entries = JSON.parse(request.body.toString("utf8"));
        } catch {
          throw new QStashApiError(400, "batch body must be a JSON array of {destination, headers, body, queue}");
        }
        if (!Array.isArray(entries) || entries.length === 0) throw new QStashApiError(400, "batch body must be a non-empty JSON array");
        // Every entry is checked before any is stored, so a bad entry changes nothing.
        const planned: { plans: PublishPlan[]; group: boolean }[] = [];
        for (const [index, entry] of (entries as BatchEntry[]).entries()) {
          if (typeof entry?.destination !== "string") throw new QStashApiError(400, `batch entry ${index}: destination must be a string`);
          if (entry.body !== undefined && typeof entry.body !== "string") throw new QStashApiError(400, `batch entry ${index}: body must be a string`);
          if (entry.queue !== undefined && typeof entry.queue !== "string") throw new QStashApiError(400, `batch entry ${index}: queue must be a string`);
          planned.push(await planPublish(context, {
            destination: entry.destination,
            headers: batchHeaders(entry, index),
            body: Buffer.from(entry.body ?? "", "utf8"),
            queueName: entry.queue === undefined ? undefined : checkQueueName(entry.queue),
            callerIp: request.callerIp,
            now: request.now,
          }));
        }
        const results = await Promise.all(planned.map(({ plans }) => acceptAll(context, plans, request.now)));
        // A URL group's entry answers with an array of its messages, as QStash does.
        return { status: 201, body: results.map((result, index) => (planned[index]?.group ? result : result[0])) };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^/v2/keys${endOfPath}`),
      handle: async () => ({ status: 200, body: { current: context.signingKeys.current, next: context.signingKeys.next } }),
    },
  ];
}
