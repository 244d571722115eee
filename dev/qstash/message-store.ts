import type { Redis } from "ioredis";
import { RedisScript, type ScriptReply } from "./redis-script";
import type { DlqRecord, MessageRecord } from "./types";

/**
 * Where messages live in Redis, under one key prefix:
 *   msg:{id}   the message JSON, present while it waits, is in flight or waits for a retry
 *   due        sorted set id → earliest delivery time (ms)
 *   inflight   sorted set id → claim time; emptied back into `due` at start, so a crash loses nothing
 *   dedup:{id} the first message id of a deduplication id, for the deduplication window
 *   dlq        sorted set dlqId → time of failure; dlq:{dlqId} the dead message JSON
 * One dev server owns a prefix: the in-flight set is requeued whole at start.
 */
export class QStashKeys {
  constructor(readonly prefix: string) {}
  message = (id: string) => `${this.prefix}msg:${id}`;
  dedup = (id: string) => `${this.prefix}dedup:${id}`;
  dlqEntry = (id: string) => `${this.prefix}dlq:${id}`;
  get due() { return `${this.prefix}due`; }
  get inflight() { return `${this.prefix}inflight`; }
  get dlq() { return `${this.prefix}dlq`; }
  get schedules() { return `${this.prefix}schedules`; }
  get scheduleDue() { return `${this.prefix}schedule-due`; }
  get queues() { return `${this.prefix}queues`; }
  get topics() { return `${this.prefix}topics`; }
  get events() { return `${this.prefix}events`; }
  get flowControls() { return `${this.prefix}flow-controls`; }
}

const enqueueScript = new RedisScript(`
-- Stores one message unless its deduplication id was seen within the window.
-- KEYS[1] message key, KEYS[2] due set, KEYS[3] dedup key (ignored when ARGV[4] is 0)
-- ARGV[1] message id, ARGV[2] message JSON, ARGV[3] not-before ms, ARGV[4] dedup window ms (0: no dedup)
-- returns {1, id} when stored, {0, first message id} when deduplicated
if tonumber(ARGV[4]) > 0 then
  local first = redis.call('GET', KEYS[3])
  if first then return {0, first} end
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return {1, ARGV[1]}`);

const claimScript = new RedisScript(`
-- Moves up to ARGV[2] messages due by ARGV[1] from the due set to the in-flight set.
-- KEYS[1] due set, KEYS[2] in-flight set
-- ARGV[1] now ms, ARGV[2] limit, ARGV[3] message key prefix (message keys are derived: one local server)
-- returns {next due ms after the claim or -1, message JSON...}; canceled ids are dropped
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {'-1'}
if #ids > 0 then
  redis.call('ZREM', KEYS[1], unpack(ids))
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = ARGV[3] .. id end
  local jsons = redis.call('MGET', unpack(keys))
  local scored = {}
  for i, id in ipairs(ids) do
    if jsons[i] then
      out[#out + 1] = jsons[i]
      scored[#scored + 1] = ARGV[1]
      scored[#scored + 1] = id
    end
  end
  if #scored > 0 then redis.call('ZADD', KEYS[2], unpack(scored)) end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then out[1] = first[2] end
return out`);

const releaseScript = new RedisScript(`
-- Puts an in-flight message back in the due set (retry after a failure, or a full flow-control window).
-- KEYS[1] message key, KEYS[2] due set, KEYS[3] in-flight set
-- ARGV[1] message id, ARGV[2] new message JSON ("" keeps the stored one), ARGV[3] due ms
-- returns 1 when put back, 0 when the message was canceled meanwhile
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2]) end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`);

const deadLetterScript = new RedisScript(`
-- Moves an in-flight message whose retries ran out to the DLQ.
-- KEYS[1] message key, KEYS[2] in-flight set, KEYS[3] DLQ entry key, KEYS[4] DLQ set
-- ARGV[1] message id, ARGV[2] DLQ entry JSON, ARGV[3] dlq id, ARGV[4] failure time ms
-- returns 1 when dead-lettered, 0 when the message was canceled meanwhile
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
return 1`);

export interface Accepted {
  messageId: string;
  deduplicated: boolean;
}

export class MessageStore {
  private completed: string[] = [];
  private completionFlush?: Promise<void>;

  constructor(
    private readonly redis: Redis,
    readonly keys: QStashKeys,
  ) {}

  async enqueue(message: MessageRecord, deduplicationId: string | undefined, dedupWindowMs: number): Promise<Accepted> {
    const dedupKey = deduplicationId === undefined ? this.keys.message(message.messageId) : this.keys.dedup(deduplicationId);
    const window = deduplicationId === undefined ? 0 : dedupWindowMs;
    const reply = (await enqueueScript.run(this.redis, [this.keys.message(message.messageId), this.keys.due, dedupKey], [
      message.messageId, JSON.stringify(message), message.notBefore, window,
    ])) as [number, string];
    return { messageId: reply[1], deduplicated: reply[0] === 0 };
  }

  /** Claims due messages; `nextDueAt` is the earliest remaining due time, or undefined when none. */
  async claimDue(now: number, limit: number): Promise<{ messages: MessageRecord[]; nextDueAt?: number }> {
    const reply = (await claimScript.run(this.redis, [this.keys.due, this.keys.inflight], [now, limit, this.keys.message("")])) as string[];
    const next = Number(reply[0]);
    return { messages: reply.slice(1).map((json) => JSON.parse(json) as MessageRecord), nextDueAt: next >= 0 ? next : undefined };
  }

  async nextDueAt(): Promise<number | undefined> {
    const first = await this.redis.zrange(this.keys.due, 0, 0, "WITHSCORES");
    return first[1] === undefined ? undefined : Number(first[1]);
  }

  /** After a crash or a restart nothing is really in flight: deliver those messages again (at least once). */
  async requeueInFlight(): Promise<void> {
    await this.redis.multi().zunionstore(this.keys.due, 2, this.keys.due, this.keys.inflight, "WEIGHTS", 1, 0).del(this.keys.inflight).exec();
  }

  /**
   * Forgets a delivered message. Completions arriving in the same tick share one DEL and one ZREM: at
   * hundreds of deliveries a second, a round trip per message would cost more than the deliveries.
   * Not atomic, and need not be: a crash in between leaves an id in flight without a message, which the
   * claim drops.
   */
  complete(messageId: string): Promise<void> {
    this.completed.push(messageId);
    this.completionFlush ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const ids = this.completed.splice(0);
        this.completionFlush = undefined;
        Promise.all([this.redis.del(...ids.map(this.keys.message)), this.redis.zrem(this.keys.inflight, ...ids)]).then(() => resolve(), reject);
      });
    });
    return this.completionFlush;
  }

  async release(message: MessageRecord, dueAt: number, rewrite: boolean): Promise<boolean> {
    const reply = await releaseScript.run(this.redis, [this.keys.message(message.messageId), this.keys.due, this.keys.inflight], [
      message.messageId, rewrite ? JSON.stringify(message) : "", dueAt,
    ]);
    return reply === 1;
  }

  async deadLetter(entry: DlqRecord): Promise<boolean> {
    const reply: ScriptReply = await deadLetterScript.run(this.redis, [
      this.keys.message(entry.messageId), this.keys.inflight, this.keys.dlqEntry(entry.dlqId), this.keys.dlq,
    ], [entry.messageId, JSON.stringify(entry), entry.dlqId, entry.failedAt]);
    return reply === 1;
  }

  async get(messageId: string): Promise<MessageRecord | undefined> {
    const json = await this.redis.get(this.keys.message(messageId));
    return json === null ? undefined : (JSON.parse(json) as MessageRecord);
  }

  /** Every message not yet delivered (waiting, in flight or waiting for a retry), oldest first. */
  async pending(): Promise<MessageRecord[]> {
    const [due, inflight] = await Promise.all([this.redis.zrange(this.keys.due, 0, -1), this.redis.zrange(this.keys.inflight, 0, -1)]);
    const ids = [...inflight, ...due];
    if (ids.length === 0) return [];
    const jsons = await this.redis.mget(ids.map(this.keys.message));
    return jsons.flatMap((json) => (json === null ? [] : [JSON.parse(json) as MessageRecord])).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Cancels messages not delivered yet; returns those that existed. */
  async cancel(messageIds: string[]): Promise<MessageRecord[]> {
    if (messageIds.length === 0) return [];
    const multi = this.redis.multi().mget(messageIds.map(this.keys.message));
    for (const id of messageIds) multi.del(this.keys.message(id)).zrem(this.keys.due, id).zrem(this.keys.inflight, id);
    const replies = (await multi.exec()) ?? [];
    const jsons = (replies[0]?.[1] ?? []) as (string | null)[];
    // Replies after the MGET come in threes (DEL, ZREM, ZREM); a DEL of 1 means it was still pending.
    return jsons.flatMap((json, index) => (json !== null && replies[1 + index * 3]?.[1] === 1 ? [JSON.parse(json) as MessageRecord] : []));
  }
}
