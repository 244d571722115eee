/**
 * [wake, issue 11] Finished tasks handed to `?wait=` waiters in the same isolate. The settle script
 * publishes the ids it finished on the queue's done channel, and a waiter hears them through the
 * REST API's server-sent events: a hop out to the REST server and back that a waiter in the isolate
 * whose invocation settled the task need not make (the inline start runs a queue's first
 * invocation in the enqueue's isolate). The settle wrapper (tasks.ts) announces what its call
 * finished here, with the records the script returned; a waiter registered for one of those ids
 * is answered at once. The channel stays the path between isolates and the guard against a notice
 * that never comes: this only cuts a wait short.
 *
 * Module state, one map per isolate, keyed by deployment prefix and task id. An announcement for
 * ids nobody waits for costs a lookup each (nothing when no one waits) and stores nothing; a waiter
 * is removed when it is answered or gives up, and past MAX_NOTICE_WAITERS new waiters are not
 * registered (they are answered by the channel, as before).
 */
import { taskIdOf } from "./ids";

/** What a waiter is handed: the task's stored record when the settle returned it, else undefined (read it). */
export type DoneNotice = (record: string | undefined) => void;

/** Waiters one isolate holds at most; a `?wait=` is one request, so this is far past any isolate's concurrency. */
export const MAX_NOTICE_WAITERS = 10_000;

const waiters = new Map<string, Set<DoneNotice>>();
let registered = 0;

const keyOf = (prefix: string, id: string) => `${prefix}\n${id}`;

/**
 * Registers `notice` for the task `id` (a full id, `<queue>~<local>`) of the deployment `prefix`;
 * returns what removes it, or undefined when the isolate holds MAX_NOTICE_WAITERS already.
 */
export function awaitDone(prefix: string, id: string, notice: DoneNotice): (() => void) | undefined {
  if (registered >= MAX_NOTICE_WAITERS) return undefined;
  const key = keyOf(prefix, id);
  let set = waiters.get(key);
  if (!set) waiters.set(key, (set = new Set()));
  set.add(notice);
  registered++;
  return () => {
    const current = waiters.get(key);
    if (!current?.delete(notice)) return;
    registered--;
    if (current.size === 0) waiters.delete(key);
  };
}

/**
 * Hands each finished id's waiters its record (undefined when the settle did not return it), and
 * forgets them. Returns how many waiters were handed a notice.
 */
export function announceDone(prefix: string, ids: readonly string[], records: ReadonlyMap<string, string>): number {
  if (registered === 0) return 0;
  let handed = 0;
  for (const id of ids) {
    const key = keyOf(prefix, id);
    const set = waiters.get(key);
    if (!set) continue;
    waiters.delete(key);
    registered -= set.size;
    for (const notice of set) {
      // a waiter the runtime will not let this context wake (workerd refuses to resolve a promise of
      // another Durable Object's context) is left to its channel: a settle never fails for a waiter
      try {
        notice(records.get(id));
        handed++;
      } catch {
        // answered by the channel or a read, as without notices
      }
    }
  }
  return handed;
}

/** Waiters registered in this isolate now (tests: a finished or timed-out wait leaves none). */
export function noticeWaiters(): number {
  return registered;
}

/**
 * A settle call's announcement: the local ids it finished (succeeded or dead) and its reply's `shown`
 * (scripts/settle.ts: "" or the JSON object of their records by local id). Nothing is parsed when
 * no waiter is registered.
 */
export function announceSettled(prefix: string, queue: string, finishedLocal: readonly string[], shown: string): number {
  if (registered === 0 || finishedLocal.length === 0) return 0;
  return announceDone(prefix, finishedLocal.map((local) => taskIdOf(queue, local)), recordsByTaskId(queue, shown));
}

/**
 * The records of a done message or a settle reply (a JSON object, local id -> record) by full task
 * id. Anything that does not parse is left out: its waiters read instead.
 */
export function recordsByTaskId(queue: string, json: string): Map<string, string> {
  const records = new Map<string, string>();
  if (json === "") return records;
  try {
    const byLocal = JSON.parse(json) as Record<string, unknown>;
    for (const [local, record] of Object.entries(byLocal)) if (typeof record === "string") records.set(taskIdOf(queue, local), record);
  } catch {
    // ids alone: each waiter reads its task
  }
  return records;
}
