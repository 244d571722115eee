/**
 * Publishes push messages to QStash: one batch request however many pushes, each delivered to
 * `<public url>/v1/work` with the queue's flow-control key and its deduplication id.
 */
import type { Client } from "@upstash/qstash";
import { flowControlKey, type PushRequest } from "./autoscale";
import type { PushMessage } from "./types";

export interface PushPublisher {
  /** Returns how many pushes QStash accepted as new (duplicates of pending ones are dropped). */
  publish(pushes: PushRequest[]): Promise<number>;
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

export function qstashPublisher(client: Pick<Client, "batchJSON">, options: PublisherOptions): PushPublisher {
  const url = workUrl(options.publicUrl);
  return {
    async publish(pushes) {
      if (pushes.length === 0) return 0;
      const responses = await client.batchJSON(
        pushes.map((push) => ({
          url,
          body: { queue: push.queue } satisfies PushMessage,
          deduplicationId: push.deduplicationId,
          flowControl: { key: flowControlKey(push.queue), parallelism: push.parallelism },
          retries: options.retries,
          timeout: options.deliveryTimeoutSeconds,
        })),
      );
      return responses.filter((response) => !("deduplicated" in response && response.deduplicated)).length;
    },
  };
}
