/**
 * One Redis subscriber connection shared by every SSE stream of a REST server. A stream per `?wait=`
 * used to open a Redis connection of its own: a TCP connect, a client set up and a SUBSCRIBE before
 * the waiter could hear anything, the largest cost per wait in the REST server (bench/profile.ts).
 * Here a channel or pattern is subscribed while at least one stream listens to it, and the
 * connection stays open for the next.
 *
 * Commands on one connection run in order, so an UNSUBSCRIBE of the last listener followed by a
 * SUBSCRIBE of a new one leaves the channel subscribed.
 */
import { Redis } from "ioredis";

export type SubscriptionKind = "subscribe" | "psubscribe";

/** What a stream hears: a message on a channel, with the pattern that matched it (psubscribe). */
export type HubEvent = { channel: string; message: string; pattern?: string };
export type HubListener = (event: HubEvent) => void;

export class SubscriptionHub {
  private connection: Redis | undefined;
  private readonly listeners = new Map<string, Set<HubListener>>();
  /** The SUBSCRIBE in flight or done for each name: a second listener waits for the first's. */
  private readonly subscribed = new Map<string, Promise<unknown>>();

  constructor(private readonly redisUrl: string) {}

  private redis(): Redis {
    if (this.connection) return this.connection;
    const connection = new Redis(this.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: (attempt: number) => Math.min(attempt * 50, 500) });
    connection.on("error", () => {});
    connection.on("message", (channel: string, message: string) => this.emit("subscribe", channel, { channel, message }));
    connection.on("pmessage", (pattern: string, channel: string, message: string) => this.emit("psubscribe", pattern, { channel, message, pattern }));
    this.connection = connection;
    return connection;
  }

  private emit(kind: SubscriptionKind, name: string, event: HubEvent): void {
    for (const listener of this.listeners.get(`${kind}:${name}`) ?? []) listener(event);
  }

  /** Resolves once every name is subscribed on the shared connection; rejects when Redis refuses. */
  async add(kind: SubscriptionKind, names: string[], listener: HubListener): Promise<void> {
    const redis = this.redis();
    await Promise.all(names.map((name) => {
      const key = `${kind}:${name}`;
      let set = this.listeners.get(key);
      if (!set) this.listeners.set(key, (set = new Set()));
      set.add(listener);
      let done = this.subscribed.get(key);
      if (set.size === 1 || !done) {
        done = kind === "subscribe" ? redis.subscribe(name) : redis.psubscribe(name);
        this.subscribed.set(key, done);
      }
      return done;
    }));
  }

  remove(kind: SubscriptionKind, names: string[], listener: HubListener): void {
    for (const name of names) {
      const key = `${kind}:${name}`;
      const set = this.listeners.get(key);
      if (!set?.delete(listener) || set.size > 0) continue;
      this.listeners.delete(key);
      this.subscribed.delete(key);
      const redis = this.redis();
      (kind === "subscribe" ? redis.unsubscribe(name) : redis.punsubscribe(name)).catch(() => {});
    }
  }

  close(): void {
    this.connection?.disconnect();
    this.connection = undefined;
    this.listeners.clear();
    this.subscribed.clear();
  }
}
