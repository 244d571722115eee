import type { CatalogStore } from "./catalog-store";
import type { DeliveryEngine } from "./engine";
import { endOfPath, type ApiReply, type Route } from "./http-server";
import type { MessageStore } from "./message-store";
import { planMessage, type HeaderMap, type PublishLimits, type PublishPlan } from "./publish";
import { QStashApiError } from "./types";

export interface ApiContext {
  engine: DeliveryEngine;
  messages: MessageStore;
  catalog: CatalogStore;
  limits: PublishLimits;
  signingKeys: { current: string; next: string };
}

const queueName = /^[A-Za-z0-9_.-]{1,100}$/;

export function checkQueueName(name: string): string {
  if (!queueName.test(name)) throw new QStashApiError(400, `invalid queue name ${JSON.stringify(name)} (letters, digits, _ . - up to 100)`);
  return name;
}

/** Enqueueing to a queue that does not exist creates it with parallelism 1, as QStash does. */
async function ensureQueue(context: ApiContext, name: string, now: number): Promise<void> {
  if (await context.catalog.queue(name)) return;
  const queue = { name, parallelism: 1, paused: false, createdAt: now, updatedAt: now };
  await context.catalog.putQueue(queue);
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

async function publishOne(context: ApiContext, plan: PublishPlan, now: number): Promise<ApiReply> {
  const [result] = await acceptAll(context, [plan], now);
  // QStash answers a duplicate with 202 and the first message's id.
  return { status: result?.deduplicated ? 202 : 201, body: result };
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
      handle: async (request, [destination = ""]) => publishOne(context, planMessage({ ...request, destination }, context.limits), request.now),
    },
    {
      method: "POST",
      pattern: /^\/v2\/enqueue\/([^/?]+)\/(.+)$/,
      handle: async (request, [queue = "", destination = ""]) => {
        const name = checkQueueName(decodeURIComponent(queue));
        return publishOne(context, planMessage({ ...request, destination, queueName: name }, context.limits), request.now);
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
        const plans = (entries as BatchEntry[]).map((entry, index) => {
          if (typeof entry?.destination !== "string") throw new QStashApiError(400, `batch entry ${index}: destination must be a string`);
          if (entry.body !== undefined && typeof entry.body !== "string") throw new QStashApiError(400, `batch entry ${index}: body must be a string`);
          if (entry.queue !== undefined && typeof entry.queue !== "string") throw new QStashApiError(400, `batch entry ${index}: queue must be a string`);
          return planMessage({
            destination: entry.destination,
            headers: batchHeaders(entry, index),
            body: Buffer.from(entry.body ?? "", "utf8"),
            queueName: entry.queue === undefined ? undefined : checkQueueName(entry.queue),
            callerIp: request.callerIp,
            now: request.now,
          }, context.limits);
        });
        return { status: 201, body: await acceptAll(context, plans, request.now) };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^/v2/keys${endOfPath}`),
      handle: async () => ({ status: 200, body: { current: context.signingKeys.current, next: context.signingKeys.next } }),
    },
  ];
}
