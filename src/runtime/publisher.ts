/**
 * Publishes push messages to QStash: one batch request however many pushes, each delivered to
 * `<public url>/v1/work` with the queue's flow-control key and its deduplication id.
 */
import type { Client } from "@upstash/qstash";
import { flowControlKey, type PushRequest } from "./autoscale";
import type { PushMessage } from "./types";

export interface PushPublisher {
  /** One request for all; per push, whether QStash took it as new (duplicates of pending ones are dropped). */
  publish(pushes: PushRequest[]): Promise<boolean[]>;
  /** Where the pushes go (the work URL): pushes to one destination share their dedup ids. */
  readonly destination?: string;
}

export function countNew(accepted: boolean[]): number {
  return accepted.filter(Boolean).length;
}

export interface PublisherOptions {
  /** The Worker's public base URL (EDGEQ_PUBLIC_URL). */
  publicUrl: string;
  /** QStash waits this long for an invocation before counting the delivery as failed. */
  deliveryTimeoutSeconds: number;
  /** QStash retries a failed delivery (a crashed invocation) this many times. */
  retries: number;
}

export function workUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/v1/work`;
}

/**
 * QStash's own backoff retries a failed delivery after 12 s, then 2.5 min: made for a flaky endpoint,
 * while a failed push is an invocation that died (a crash, a deploy) and its queue waits. Retried after
 * 1, 2 and 4 s instead; a queue whose pushes all fail still has the cron.
 */
export const PUSH_RETRY_DELAY = "1000 * pow(2, retried)";

/** Messages per batch request: keeps each request small whatever the number of queues. */
const MESSAGES_PER_REQUEST = 100;

export function qstashPublisher(client: Pick<Client, "batchJSON">, options: PublisherOptions): PushPublisher {
  const url = workUrl(options.publicUrl);
  const message = (push: PushRequest) => ({
    url,
    body: { queue: push.queue, ...(push.fold ? { fold: true } : {}), ...(push.net ? { net: { parallelism: push.parallelism ?? 1 } } : {}) } satisfies PushMessage,
    deduplicationId: push.deduplicationId,
    ...(push.parallelism === undefined ? {} : { flowControl: { key: flowControlKey(push.queue), parallelism: push.parallelism } }),
    retries: options.retries,
    retryDelay: PUSH_RETRY_DELAY,
    timeout: options.deliveryTimeoutSeconds,
    ...(push.notBefore === undefined ? {} : { notBefore: push.notBefore }),
  });
  return {
    destination: url,
    async publish(pushes) {
      const chunks: PushRequest[][] = [];
      for (let at = 0; at < pushes.length; at += MESSAGES_PER_REQUEST) chunks.push(pushes.slice(at, at + MESSAGES_PER_REQUEST));
      const responses = await Promise.all(chunks.map((chunk) => client.batchJSON(chunk.map(message))));
      return responses.flat().map((response) => !("deduplicated" in response && response.deduplicated));
    },
  };
}
