/**
 * How many more push invocations to start for a queue, and the QStash messages that start them.
 *
 * Storm control: every push for a queue carries the deduplication id
 * `<queue>.<minute>.<epoch>.<slot>`, slot < maxParallel. The epoch is a per-queue counter that each
 * push invocation advances when it starts (see epochs.ts). Until one of the published pushes
 * starts, every enqueue push and every follow-up reuses the same ids and QStash drops the copies, so a
 * burst of enqueues yields at most maxParallel pending pushes. Once a push has started, it will
 * claim whatever was enqueued before it, and the next enqueue push gets a fresh id. A pure time-slot id
 * would drop the push of a task enqueued just after an invocation of the same slot ended,
 * stranding it until the cron; the epoch cannot. The minute only guards against a counter that
 * restarted (a wiped database) reusing ids QStash still remembers: it costs at most one extra push
 * per slot at a minute boundary.
 *
 * Why a dropped push never strands a task: an id is dropped only if a push with that id exists. If
 * it has not started, it will, and will claim. If it has started, it advanced the epoch; the
 * publisher read the epoch before that, so the push started after the publisher saw the backlog,
 * and claims it (or hands it on by the same rule).
 */
export interface BacklogView {
  queued: number;
  running: number;
  batchSize: number;
  maxParallel: number;
  paused: boolean;
}

/**
 * Pushes wanted: enough invocations for the backlog, minus those already busy (running tasks held
 * in batches), capped by maxParallel. At least one while backlog remains, because "busy" may count
 * leases of invocations that died; the dedup id keeps that one from piling up.
 *
 * `claimsAgain`: asked by an invocation that goes on claiming (a full batch, runtime/drain.ts), which
 * takes a batch of the backlog itself: only a backlog of more than one batch wants others.
 * [issue 11] With "at least one", a stream of single enqueues (always a few tasks queued) had every
 * live invocation's full batch push a second one, and the two then split each other's claims.
 */
export function pushesWanted(view: BacklogView, claimsAgain = false): number {
  if (view.paused || view.queued <= 0 || view.maxParallel < 1) return 0;
  const batchSize = Math.max(1, view.batchSize);
  const wanted = Math.ceil(view.queued / batchSize);
  const busy = Math.ceil(Math.max(0, view.running) / batchSize);
  if (claimsAgain) return Math.max(0, Math.min(wanted - 1, view.maxParallel - busy));
  return Math.max(1, Math.min(wanted, view.maxParallel - busy, view.maxParallel));
}

export interface PushRequest {
  queue: string;
  deduplicationId: string;
  /**
   * QStash flow control: at most this many deliveries of the queue's pushes run at once. None for
   * fold pushes, which run no tasks.
   */
  parallelism?: number;
  /** Deliver no earlier than this (unix seconds): a delayed push for tasks waiting until then. */
  notBefore?: number;
  /** A fold push (jobs/fold-push.ts): the worker folds the queue's outbox and claims nothing. */
  fold?: true;
  /** An inline start's safety net (safety-net.ts). */
  net?: true;
}

export interface PushEpoch {
  epoch: number;
  /** Milliseconds since the epoch, for the minute in the id. */
  now: number;
}

export function pushRequests(queue: string, at: PushEpoch, count: number, maxParallel: number): PushRequest[] {
  const parallelism = Math.max(1, maxParallel);
  const prefix = `${queue}.${Math.floor(at.now / 60_000)}.${at.epoch}`;
  return Array.from({ length: Math.min(count, parallelism) }, (_, slot) => ({
    queue,
    deduplicationId: `${prefix}.${slot}`,
    parallelism,
  }));
}

/** The QStash flow-control key of a queue's pushes (alphanumerics, dash, underscore and dot only). */
export function flowControlKey(queue: string): string {
  return `edgeq.${queue}`;
}

/** Delayed pushes published at most per call: the earliest few and the latest, which covers the rest. */
export const MAX_DELAYED_PUSHES = 5;

/**
 * Delayed pushes for tasks that wait until `times` (retries in backoff, delayed enqueues): nothing
 * else would run them before the cron. One per distinct second, id `<queue>.at.<second>`, so every
 * invocation wanting a delayed push at the same second shares one. A claim at that second promotes
 * and takes every task due by then, so the latest delayed push covers those not given their own.
 */
export function delayedPushRequests(queue: string, times: readonly number[], maxParallel: number): PushRequest[] {
  const seconds = [...new Set(times.map((time) => Math.ceil(time / 1_000)))].sort((a, b) => a - b);
  const chosen = seconds.length <= MAX_DELAYED_PUSHES ? seconds : [...seconds.slice(0, MAX_DELAYED_PUSHES - 1), seconds.at(-1) as number];
  const parallelism = Math.max(1, maxParallel);
  return chosen.map((second) => ({ queue, deduplicationId: `${queue}.at.${second}`, parallelism, notBefore: second }));
}
