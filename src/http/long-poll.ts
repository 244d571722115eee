/**
 * `?wait=SECONDS` on task reads. Upstash's REST API has no blocking reads and a Worker has a
 * subrequest budget (50 per invocation on the free plan). A task wait listens instead: the settle
 * script publishes the ids it finished on the queue's done channel, and the waiter subscribes to it
 * through the REST API's server-sent events (as a Worker can with Upstash), then reads the task
 * once its id goes by. The subscription is made beside the first read when the id names its queue. Until the subscription is active the timed reads go on (5 ms, doubling up to
 * 1.5 s); once it is, one read catches a completion that came before it, and from then on only a
 * read every 1.5 s stands guard, so that a missed wake-up (a death in upkeep, a cancel, a lost
 * event) still ends with the task or at the wait's end. A wait that is woken thus costs three or
 * four reads however long it waits, not one per doubling (each read is a billed Redis command).
 * The wake-up carries the finished tasks' records when they are small (scripts/settle.ts): the
 * waiter answers from it, saving the read and its round trip after the settle.
 */
import type { TaskQueue, TaskRecord, TaskStatus } from "../queue/types";
import { splitTaskId, taskIdOf } from "../queue/index";

export const FIRST_INTERVAL_MS = 5;
export const MAX_INTERVAL_MS = 1_500;
const GROWTH = 2;

/** The wait after `interval`: 5, 10, 20, 40 … 1,280, then 1,500 ms. */
export function nextInterval(interval: number): number {
  return Math.min(interval * GROWTH, MAX_INTERVAL_MS);
}

const FINAL: ReadonlySet<TaskStatus> = new Set(["succeeded", "dead", "canceled"]);

export function isFinal(status: TaskStatus): boolean {
  return FINAL.has(status);
}

/** One settle's finished tasks: their ids, and the records that came with them (by id). */
export interface Finished {
  ids: string[];
  records: Map<string, string>;
}

/** What answered a wait: a record the done message carried, or a read. */
export type WaitAnswer = "channel" | "read";
/** The response header of a `?wait=` read that names its WaitAnswer. */
export const WAIT_ANSWER_HEADER = "Edgeq-Wait-Answer";

/** A subscription to a queue's finished ids (doneChannel): `next()` resolves on the next batch. */
export interface CompletionListener {
  next(): Promise<Finished>;
  /** Resolves once the subscription is active (never, if it fails). */
  ready: Promise<void>;
  close(): void;
}

export type Listen = (queue: string) => CompletionListener;

/**
 * The task once it is final, or as it is when `waitMs` runs out or the client goes away; `answer`
 * is told what answered.
 */
export async function waitForTask(
  queue: Pick<TaskQueue, "get" | "fromRecord">,
  id: string,
  waitMs: number,
  signal?: AbortSignal,
  listen?: Listen,
  firstIntervalMs = FIRST_INTERVAL_MS,
  answer?: { by?: WaitAnswer },
): Promise<TaskRecord | null> {
  const done = (task: TaskRecord | null) => !task || isFinal(task.status);
  // An id that names its queue (`<queue>~<local>`) is subscribed for beside the first read, not
  // after it: the subscription is active a round trip sooner, before the settle more often, so that
  // the wake-up answers rather than the read made once it is active.
  const named = listen ? splitTaskId(id)?.queue : undefined;
  const early = named === undefined ? undefined : listen!(named);
  if (answer) answer.by = "read";
  let first: TaskRecord | null | undefined;
  if (!early) {
    first = await queue.get(id);
    if (done(first) || !listen) return pollUntil(() => queue.get(id), done, waitMs, signal, firstIntervalMs, first);
  }
  // Reads go on as without a listener while the subscription is being set up (a new streaming
  // request): a wake-up only cuts a wait short. The read once it is active catches a completion
  // published before it was, or before this waiter asked for wake-ups. With the early listener the
  // first read is made by pollUntil, so that a wake-up during it answers too.
  const listener = early ?? listen!(first!.queue);
  // the task a wake-up carried, if one did: the answer was the channel's when it is the one returned
  let carriedTask: TaskRecord | undefined;
  try {
    // the task as the wake-up carried it (undefined: not carried, or not final, so read it)
    const woken = async (): Promise<TaskRecord | null | undefined> => {
      for (;;) {
        const finished = await listener.next();
        if (!finished.ids.includes(id)) continue;
        const record = finished.records.get(id);
        const carried = record === undefined ? undefined : queue.fromRecord(id, record);
        if (!carried || !done(carried)) return undefined;
        return (carriedTask = carried);
      }
    };
    const task = await pollUntil(() => queue.get(id), done, waitMs, signal, firstIntervalMs, first, woken, listener.ready);
    if (answer && task) answer.by = task === carriedTask ? "channel" : "read";
    return task;
  } finally {
    listener.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Reads until `done` says so (or `waitMs` runs out, or the client goes away); the last read. Between
 * reads it waits out the interval, or less when `woken` resolves first (and is then asked again);
 * a value `woken` brings is taken instead of a read, and ends a read still in flight (the read's
 * answer is then dropped: a wake-up brings only a final task, as the settle stored it). When `ready`
 * resolves it reads once more and the interval becomes MAX_INTERVAL_MS: wake-ups do the work from then on.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  waitMs: number,
  signal?: AbortSignal,
  firstInterval = FIRST_INTERVAL_MS,
  firstValue?: T,
  woken?: () => Promise<T | undefined>,
  ready?: Promise<void>,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  let interval = firstInterval;
  const wakeUp = () => woken?.().then((carried) => ({ reason: "woken" as const, carried }));
  let wake = wakeUp();
  // a settle often lands while a read is in flight (the one once the subscription is active, most
  // of all): its wake-up answers then, not the read's reply a round trip later
  const readOrWake = async (): Promise<T> => {
    const reading = read();
    if (!wake) return reading;
    reading.catch(() => {}); // a wake-up may answer first: the read's failure then matters to no one
    const first = await Promise.race([reading.then((value) => ({ reason: "read" as const, value })), wake]);
    if (first.reason === "read") return first.value;
    wake = wakeUp();
    return first.carried !== undefined ? first.carried : reading;
  };
  let value = firstValue === undefined ? await readOrWake() : firstValue;
  let listening = ready?.then(() => ({ reason: "ready" as const }));
  while (!done(value) && !signal?.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const timer = sleep(Math.min(interval, left)).then(() => ({ reason: "timer" as const }));
    const event = await Promise.race([timer, ...(wake ? [wake] : []), ...(listening ? [listening] : [])]);
    if (event.reason === "woken") {
      wake = wakeUp();
      if (event.carried !== undefined) {
        value = event.carried;
        continue;
      }
    } else if (event.reason === "ready") {
      listening = undefined;
      interval = Math.max(interval, MAX_INTERVAL_MS);
    } else interval = nextInterval(interval);
    value = await readOrWake();
  }
  return value;
}

/** A waiter's mark covers this long past its own wait: the waits on its queue meanwhile set none. */
export const WAIT_MARK_MS = 60_000;
/** Per queue (and database): until when this isolate's last mark stands. */
const markedUntil = new Map<string, number>();

/**
 * Sets a queue's waiters' mark (queue/scripts/wait-mark.ts) to cover a wait of `waitMs`, unless a
 * mark this isolate set covers it already: a script call a minute a queue, not one a wait. `mark`
 * answers false for a queue that does not exist (nothing is remembered then).
 */
export async function markWaiting(key: string, waitMs: number, mark: (untilMs: number) => Promise<boolean>, now = Date.now()): Promise<void> {
  if ((markedUntil.get(key) ?? 0) >= now + waitMs) return;
  const until = now + waitMs + WAIT_MARK_MS;
  if (await mark(until)) markedUntil.set(key, until);
}

/**
 * A listener over @upstash/redis's subscribe() (SSE through the REST API). `marked`: the waiters'
 * mark set (markWaiting), without which the settles publish nothing: the listener is ready once
 * both are done, so that the read made then sees whatever settled unpublished before.
 */
export function redisCompletionListener(
  redis: { subscribe: (channel: string) => SubscriberLike },
  channelOf: (queue: string) => string,
  marked: (queue: string) => Promise<void>,
): Listen {
  return (queue) => {
    const subscriber = redis.subscribe(channelOf(queue));
    const waiting: ((finished: Finished) => void)[] = [];
    // a mark that failed leaves the timed reads to end the wait, as a failed subscription does
    const mark = marked(queue).catch(() => new Promise<never>(() => {}));
    const ready = new Promise<void>((resolve) => subscriber.on("subscribe", () => resolve())).then(() => mark);
    // A failed subscription leaves the timed reads to end the wait.
    subscriber.on("error", () => {});
    subscriber.on("message", ({ message }) => {
      const finished = parseFinished(queue, String(message));
      for (const resolve of waiting.splice(0)) resolve(finished);
    });
    return {
      next: () => new Promise<Finished>((resolve) => waiting.push(resolve)),
      ready,
      close: () => void subscriber.unsubscribe().catch(() => {}),
    };
  };
}

/**
 * A done channel message: the queue's local ids (ids.ts), comma-separated, then maybe a space and a
 * JSON object of records by local id. The waiter holds full ids. Records that do not parse are
 * left out: their waiters read instead.
 */
export function parseFinished(queue: string, message: string): Finished {
  const space = message.indexOf(" ");
  const ids = (space < 0 ? message : message.slice(0, space)).split(",").map((local) => taskIdOf(queue, local));
  const records = new Map<string, string>();
  if (space >= 0) {
    try {
      const byLocal = JSON.parse(message.slice(space + 1)) as Record<string, unknown>;
      for (const [local, record] of Object.entries(byLocal)) if (typeof record === "string") records.set(taskIdOf(queue, local), record);
    } catch {
      // ids alone: each waiter reads its task
    }
  }
  return { ids, records };
}

interface SubscriberLike {
  on(type: "subscribe", listener: () => void): void;
  on(type: "message", listener: (event: { message: unknown }) => void): void;
  on(type: "error", listener: (event: unknown) => void): void;
  unsubscribe(): Promise<void>;
}
