import type { Redis } from "ioredis";
import type { QStashKeys } from "./message-store";
import type { DlqRecord, FlowControlOverride, QueueRecord, ScheduleRecord, TopicRecord } from "./types";

function parseAll<T>(jsons: (string | null)[]): T[] {
  return jsons.flatMap((json) => (json === null ? [] : [JSON.parse(json) as T]));
}

/** Records kept as JSON in one Redis hash, by name. */
export class JsonHash<T extends { name: string }> {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async put(record: T): Promise<void> {
    await this.redis.hset(this.key, record.name, JSON.stringify(record));
  }

  async get(name: string): Promise<T | undefined> {
    const json = await this.redis.hget(this.key, name);
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async all(): Promise<T[]> {
    return parseAll<T>(Object.values(await this.redis.hgetall(this.key)));
  }

  async delete(name: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, name)) === 1;
  }
}

/** The DLQ, schedules, queues and URL groups: small collections read whole (a dev server holds few of them). */
export class CatalogStore {
  readonly queues: JsonHash<QueueRecord>;
  readonly topics: JsonHash<TopicRecord>;
  readonly flowControls: JsonHash<FlowControlOverride>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: QStashKeys,
  ) {
    this.queues = new JsonHash(redis, keys.queues);
    this.topics = new JsonHash(redis, keys.topics);
    this.flowControls = new JsonHash(redis, keys.flowControls);
  }

  /** Dead messages, oldest first. */
  async dlqEntries(): Promise<DlqRecord[]> {
    const ids = await this.redis.zrange(this.keys.dlq, 0, -1);
    return ids.length === 0 ? [] : parseAll<DlqRecord>(await this.redis.mget(ids.map(this.keys.dlqEntry)));
  }

  async deleteDlq(dlqIds: string[]): Promise<number> {
    if (dlqIds.length === 0) return 0;
    const multi = this.redis.multi();
    for (const id of dlqIds) multi.del(this.keys.dlqEntry(id)).zrem(this.keys.dlq, id);
    const replies = (await multi.exec()) ?? [];
    return replies.filter((_, index) => index % 2 === 0).filter(([, deleted]) => deleted === 1).length;
  }

  async putSchedule(schedule: ScheduleRecord): Promise<void> {
    const multi = this.redis.multi().hset(this.keys.schedules, schedule.scheduleId, JSON.stringify(schedule));
    if (schedule.isPaused || schedule.nextScheduleTime === undefined) multi.zrem(this.keys.scheduleDue, schedule.scheduleId);
    else multi.zadd(this.keys.scheduleDue, schedule.nextScheduleTime, schedule.scheduleId);
    await multi.exec();
  }

  async schedule(scheduleId: string): Promise<ScheduleRecord | undefined> {
    const json = await this.redis.hget(this.keys.schedules, scheduleId);
    return json === null ? undefined : (JSON.parse(json) as ScheduleRecord);
  }

  async schedules(): Promise<ScheduleRecord[]> {
    const all = parseAll<ScheduleRecord>(Object.values(await this.redis.hgetall(this.keys.schedules)));
    return all.sort((a, b) => a.createdAt - b.createdAt);
  }

  async deleteSchedule(scheduleId: string): Promise<boolean> {
    const replies = await this.redis.multi().hdel(this.keys.schedules, scheduleId).zrem(this.keys.scheduleDue, scheduleId).exec();
    return replies?.[0]?.[1] === 1;
  }

  async dueSchedules(now: number): Promise<ScheduleRecord[]> {
    const ids = await this.redis.zrangebyscore(this.keys.scheduleDue, "-inf", now);
    return ids.length === 0 ? [] : parseAll<ScheduleRecord>(await this.redis.hmget(this.keys.schedules, ...ids));
  }

  async nextScheduleAt(): Promise<number | undefined> {
    const first = await this.redis.zrange(this.keys.scheduleDue, 0, 0, "WITHSCORES");
    return first[1] === undefined ? undefined : Number(first[1]);
  }
}
