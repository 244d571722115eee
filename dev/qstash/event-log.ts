import type { Redis } from "ioredis";
import { matchesFilters } from "./filters";
import type { MessageRecord } from "./types";

export type EventState = "CREATED" | "ACTIVE" | "DELIVERED" | "ERROR" | "RETRY" | "FAILED" | "CANCELED";

/** One line of GET /v2/events, as QStash's logs show it. */
export interface LogEvent {
  time: number;
  state: EventState;
  messageId: string;
  url: string;
  topicName?: string;
  endpointName?: string;
  queueName?: string;
  scheduleId?: string;
  labels?: string[];
  label?: string;
  nextDeliveryTime?: number;
  error?: string;
  responseStatus?: number;
  header?: Record<string, string[]>;
  body?: string;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The message lifecycle log behind GET /v2/events: newest first in one capped Redis list. Events of one
 * tick are written together (one LPUSH and one LTRIM), so logging costs no round trip per message.
 */
export class EventLog {
  private pending: string[] = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly capacity: number,
  ) {}

  record(state: EventState, message: MessageRecord, details: Partial<Pick<LogEvent, "nextDeliveryTime" | "error" | "responseStatus">> = {}): void {
    if (this.capacity <= 0) return;
    const event: LogEvent = {
      time: Date.now(), state, messageId: message.messageId, url: message.url,
      topicName: message.topicName, endpointName: message.endpointName, queueName: message.queueName,
      scheduleId: message.scheduleId, labels: message.labels, label: message.labels?.[0], ...details,
    };
    if (state === "CREATED") {
      // The content once, when the message is accepted; later states only say what happened.
      event.header = message.header;
      try {
        event.body = strictUtf8.decode(Buffer.from(message.bodyBase64, "base64"));
      } catch {
        // a binary body is not shown, as QStash shows it only when it is text
      }
    }
    this.pending.push(JSON.stringify(event));
    this.flushing ??= new Promise<void>((resolve) => setImmediate(() => {
      const lines = this.pending.splice(0);
      this.flushing = undefined;
      this.redis.multi().lpush(this.key, ...lines).ltrim(this.key, 0, this.capacity - 1).exec().then(
        () => resolve(),
        (error: unknown) => {
          console.error(`[qstash-dev] event log: ${(error as Error).message}`);
          resolve();
        },
      );
    }));
  }

  /** Events newest first, filtered like QStash's logs, `count` a page from the offset `cursor`. */
  async list(query: URLSearchParams, count: number): Promise<{ events: LogEvent[]; cursor?: string }> {
    await this.flushing;
    const all = (await this.redis.lrange(this.key, 0, -1)).map((line) => JSON.parse(line) as LogEvent);
    const ids = query.getAll("messageIds");
    const states = query.getAll("state");
    const matching = all.filter((event) =>
      (ids.length === 0 || ids.includes(event.messageId)) &&
      (states.length === 0 || states.includes(event.state)) &&
      matchesFilters({ ...event, createdAt: event.time }, query));
    const offset = Number(query.get("cursor") ?? 0) || 0;
    const next = offset + count;
    return { events: matching.slice(offset, next), ...(next < matching.length ? { cursor: String(next) } : {}) };
  }
}
