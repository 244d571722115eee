/**
 * Group commit of single-task enqueues within an isolate. Twenty clients each enqueuing one task
 * would cost twenty script calls, each with its own bookkeeping (registry, stats, the push-info read);
 * instead, while one call for a queue is in flight, the enqueues that arrive wait and then go
 * together in the next one (TaskQueue.enqueueGroups). An idle queue waits for nothing: the first
 * enqueue goes at once, so coalescing adds latency only where a call was in flight anyway.
 *
 * Each request still gets its own answer (id, duplicate flag, or its own field errors: a group with
 * a bad task fails alone), and a 202 is sent only after the call that stored its task returned, so
 * a Worker that dies while requests wait has acknowledged nothing it did not store.
 *
 * On Workers, I/O belongs to the request that started it: each commit runs in the context of a
 * request still waiting for its own answer (the first to find the line free), kept alive with its
 * waitUntil so that the others' answers arrive even if that client goes away.
 */
import type { EnqueueRequest, EnqueueResult, TaskQueue, PushInfo } from "../queue/types";

/** Tasks per coalesced call: 100 inputs at the 64 KiB limit stay under Upstash's request limit. */
export const MAX_COALESCED_TASKS = 100;

/** How long a waiter waits for the call that carries its task; far above any round trip. */
const WAIT_LIMIT_MS = 20_000;
/** How often a waiter checks for its answer, or for a free line whose next commit it may run. */
const HANDOFF_TICK_MS = 1;

export interface Committer {
  tasks: Pick<TaskQueue, "enqueueGroups">;
  /** ExecutionContext.waitUntil of the request that would run a commit. */
  keepAlive(work: Promise<unknown>): void;
}

export interface CoalescedEnqueue {
  results: EnqueueResult[];
  pushInfo: PushInfo | null;
}

interface Waiter {
  tasks: EnqueueRequest[];
  answer(outcome: EnqueueResult[] | Error, pushInfo: PushInfo | null): void;
  fail(error: unknown): void;
  /** Delivers the answer at once: only from the waiter's own request (the commit it leads). */
  finish(): void;
}

interface Line {
  /** A request is running commits for this line (in its own I/O context). */
  led: boolean;
  waiting: Waiter[];
}

/** Per queue (and Redis database): the enqueues waiting for the call in flight to return. */
const lines = new Map<string, Line>();

/** Enqueues `tasks` into `queue`, in one script call with whatever else waits for the same queue. */
export function enqueueCoalesced(key: string, queue: string, tasks: EnqueueRequest[], committer: Committer): Promise<CoalescedEnqueue> {
  let line = lines.get(key);
  if (!line) {
    line = { led: false, waiting: [] };
    lines.set(key, line);
  }
  const own = line;
  return new Promise<CoalescedEnqueue>((resolve, reject) => {
    const started = Date.now();
    let settled: (() => void) | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    const waiter: Waiter = {
      tasks,
      answer: (outcome, pushInfo) => (settled = () => (outcome instanceof Error ? reject(outcome) : resolve({ results: outcome, pushInfo }))),
      fail: (error) => (settled = () => reject(error)),
      finish: () => {
        if (timer !== undefined) clearInterval(timer);
        settled?.();
      },
    };
    // The waiter's own timer, in its own request, does what the waiter needs done: a promise
    // settled from another request's context resumes in that context on workerd, where this
    // request's response and waitUntil are out of reach; and a request with nothing of its own
    // pending is canceled as hung. Each tick also takes the lead of a line whose leader retired,
    // and gives up after WAIT_LIMIT_MS should the leader have died with the call (the client
    // retries, as after any 5xx).
    timer = setInterval(() => {
      if (!settled && Date.now() - started > WAIT_LIMIT_MS) {
        own.waiting = own.waiting.filter((other) => other !== waiter);
        settled = () => reject(new Error("a coalesced enqueue got no answer in time"));
      }
      if (settled) waiter.finish();
      else if (!own.led) lead(key, own, queue, committer, waiter);
    }, HANDOFF_TICK_MS);
    own.waiting.push(waiter);
    if (!own.led) lead(key, own, queue, committer, waiter);
  });
}

/**
 * Runs one commit in the calling request's context, where its I/O belongs. The caller is a waiter
 * not yet answered, so its request is alive until the call returns; then the line is free and the
 * next waiter's own timer runs the next commit: no request does I/O after its own answer. The
 * leader's own answer, when its call carried it, is delivered at once: it is in its own context.
 */
function lead(key: string, line: Line, queue: string, committer: Committer, leader: Waiter): void {
  line.led = true;
  const run = async () => {
    // after the current task: enqueues made in the same turn (a caller's Promise.all) go together
    await Promise.resolve();
    try {
      await commit(line, queue, committer, leader);
    } finally {
      line.led = false;
      if (line.waiting.length === 0 && lines.get(key) === line) lines.delete(key);
    }
  };
  committer.keepAlive(run());
}

async function commit(line: Line, queue: string, committer: Committer, leader: Waiter): Promise<void> {
  const group = takeGroup(line.waiting);
  await send(group, queue, committer);
  if (group.includes(leader)) leader.finish();
}

async function send(group: Waiter[], queue: string, committer: Committer): Promise<void> {
  try {
    const { outcomes, pushInfo } = await committer.tasks.enqueueGroups(queue, group.map((waiter) => waiter.tasks));
    group.forEach((waiter, i) => waiter.answer(outcomes[i] ?? new Error("enqueue returned no outcome"), pushInfo));
  } catch (error) {
    // Nothing of this call was acknowledged: every request of it fails (and may be retried as it is).
    for (const waiter of group) waiter.fail(error);
  }
}

/** The first waiter, and those after it while the call stays within MAX_COALESCED_TASKS. */
function takeGroup(waiting: Waiter[]): Waiter[] {
  let count = 0;
  let take = 0;
  while (take < waiting.length && (take === 0 || count + waiting[take]!.tasks.length <= MAX_COALESCED_TASKS)) {
    count += waiting[take]!.tasks.length;
    take++;
  }
  return waiting.splice(0, take);
}
