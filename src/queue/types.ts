/**
 * The queue core's public contract. src/http, src/runtime and the jobs layer program against these
 * types only; the scripts behind them may change freely.
 * All durations are milliseconds, all timestamps milliseconds since the epoch.
 */
import type { QueueStats } from "./stats/figures";
import type { FlowControl, FlowKeyState, FlowPage, FlowTotals, QueueSettings, QueueSettingsPatch, QueueSummary, Task, TaskStatus } from "../wire/index";

// What the API shows is what the core stores: these shapes are the wire's (src/wire), named once.
export type {
  BackoffPolicy, FlowControl, FlowKeyState, FlowPage, FlowTotals, QueueCounts, QueueSettings, QueueSettingsPatch, QueueSummary, TaskStatus,
} from "../wire/index";

/** A task as stored: what GET /v1/tasks/{id} shows, but for the progress kept beside it (progress.ts). */
export type TaskRecord = Omit<Task, "progress" | "progressAt">;

export interface EnqueueRequest {
  fn: string;
  input: unknown;
  /** Caller-given id (idempotent: enqueuing an existing id returns it as a duplicate). */
  id?: string;
  dedupKey?: string;
  /** Higher runs first; integers in [-1000, 1000]; default 0. */
  priority?: number;
  delayMs?: number;
  runAt?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  /** Set by the jobs layer: the map-reduce job this task belongs to. */
  jobId?: string;
  /** Per-key limits and round-robin across keys (flow/control.ts, README "Flow control"). */
  flowControl?: FlowControl;
}

export interface EnqueueResult {
  id: string;
  status: TaskStatus;
  /** True when nothing was created because the id or dedupKey already existed. */
  duplicate: boolean;
  /** When a task this call created delayed falls due (ms since the epoch). */
  runAt?: number;
}

export interface ClaimedTask {
  id: string;
  queue: string;
  fn: string;
  input: unknown;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  timeoutMs: number | null;
  /** Fencing token: completing or failing with any other token is refused. */
  leaseToken: string;
  leaseUntil: number;
  enqueuedAt: number;
  jobId: string | null;
}

export interface TaskCompletion {
  id: string;
  leaseToken: string;
  result: unknown;
}

export interface TaskFailure {
  id: string;
  leaseToken: string;
  error: string;
  /** false sends the task straight to dead (bad input, unknown function). */
  retryable: boolean;
}

export type SettleOutcome =
  | { id: string; outcome: "succeeded" }
  | { id: string; outcome: "retrying"; runAt: number }
  | { id: string; outcome: "dead" }
  /** The lease token did not match (expired and taken over, or wrong): nothing was written. */
  | { id: string; outcome: "stale" };

export interface LeaseExtension {
  id: string;
  leaseToken: string;
}

export interface ExtendedLease {
  id: string;
  /** The new token (null when the old one was stale): use it for complete/fail. */
  leaseToken: string | null;
  leaseUntil: number | null;
}

export interface UpkeepResult {
  promoted: number;
  requeued: number;
  dead: number;
  /** Finished records deleted after their resultTtlMs (added by the queue core; optional for callers building one). */
  expired?: number;
  /** True when a bound was hit and another call has more to do. */
  more: boolean;
}

/**
 * What the push to a worker for a queue needs (src/runtime/enqueue-push.ts), read with the enqueue that
 * calls for it. When `live` and the call made no delayed task, no push is due and the settings are not
 * read (scripts/enqueue.ts): `paused` is then false and `maxParallel` the default.
 */
export interface PushInfo {
  paused: boolean;
  maxParallel: number;
  /** The queue's push epoch: pushes are deduplicated per epoch (src/runtime/autoscale.ts). */
  pushEpoch: number;
  /** A worker invocation's live mark stands (scripts/pieces/live.ts): it will claim the tasks, no push is due. */
  live: boolean;
}

/**
 * The replay mark of a push delivery: a key set once (SET NX PX) by the script that starts the
 * worker invocation, so that a delivery sent again does nothing (src/security/replay.ts builds it).
 */
export interface ReplayMark {
  /** Its name; the queue core keeps it under the queue's hash tag, beside the start's keys (keys.ts replayMarkKey). */
  key: string;
  value: string;
  ttlMs: number;
}

/** What the start of a worker invocation found (TaskQueue.startInvocation). */
export type InvocationStart =
  /** The replay mark was there already: nothing was read or written. */
  | { kind: "replayed" }
  /** No such queue (a push outliving its queue). */
  | { kind: "missing" }
  /** The queue as it was before the claim, the push epoch just advanced, and the first batch claimed. */
  | { kind: "started"; summary: QueueSummary; pushEpoch: number; claimed: ClaimedTask[]; nextDueAt: number | null };

/** What the queue core offers. Every batch operation is one script call (one REST request). */
export interface TaskQueue {
  enqueue(queue: string, tasks: EnqueueRequest[]): Promise<EnqueueResult[]>;
  /** The enqueue, with what the push needs read in the same request (null when nothing was enqueued). */
  enqueueAndPeek(queue: string, tasks: EnqueueRequest[]): Promise<{ results: EnqueueResult[]; pushInfo: PushInfo | null }>;
  /**
   * Several callers' enqueues in one request (a group commit): per group its results, or the
   * error that refused that group alone (its fields named as in a call of its own).
   */
  enqueueGroups(queue: string, groups: EnqueueRequest[][]): Promise<{ outcomes: (EnqueueResult[] | Error)[]; pushInfo: PushInfo | null }>;
  claim(queue: string, max: number, leaseMs?: number): Promise<ClaimedTask[]>;
  complete(queue: string, completions: TaskCompletion[]): Promise<SettleOutcome[]>;
  fail(queue: string, failures: TaskFailure[]): Promise<SettleOutcome[]>;
  /** Completes and fails one batch and claims the next, in one request (the fast path of a drain loop). */
  settleAndClaim(
    queue: string,
    settled: { completions: TaskCompletion[]; failures: TaskFailure[] },
    claimMax: number,
    leaseMs?: number,
  ): Promise<{ outcomes: SettleOutcome[]; claimed: ClaimedTask[]; nextDueAt: number | null }>;
  /**
   * A worker invocation's start in one request: sets `replayMark` (unless it exists: then nothing else
   * happens), advances the push epoch, reads the queue's figures and claims its first batch (the
   * queue's batch size, under its lease).
   */
  startInvocation(queue: string, replayMark?: ReplayMark): Promise<InvocationStart>;
  extendLeases(queue: string, leases: LeaseExtension[], leaseMs?: number): Promise<ExtendedLease[]>;
  /** Promotes due delayed tasks and reclaims expired leases, at most `limit` of each. */
  upkeep(queue: string, limit?: number): Promise<UpkeepResult>;
  /** Cancels queued or delayed tasks; returns the ids actually canceled. */
  cancel(ids: string[]): Promise<string[]>;
  get(id: string): Promise<TaskRecord | null>;
  getMany(ids: string[]): Promise<(TaskRecord | null)[]>;
  /**
   * A task from its stored record as the settle script published it on the done channel: what get
   * would have answered when the record was written, without reading it.
   */
  fromRecord(id: string, record: string): TaskRecord | null;
  listQueues(): Promise<QueueSummary[]>;
  getQueue(queue: string): Promise<QueueSummary>;
  /**
   * Tells the queue's settles that a `?wait=` listens on its done channel until `untilMs` (they publish
   * only then, scripts/wait-mark.ts); false for a queue that does not exist.
   */
  markWaiting(queue: string, untilMs: number): Promise<boolean>;
  updateSettings(queue: string, patch: QueueSettingsPatch): Promise<QueueSettings>;
  listDead(queue: string, options?: { offset?: number; limit?: number }): Promise<TaskRecord[]>;
  /** Requeues dead tasks (all when ids is omitted) with fresh attempts; returns how many. */
  retryDead(queue: string, ids?: string[]): Promise<number>;
  purgeDead(queue: string, ids?: string[]): Promise<number>;
  /** Throughput, latency and wait percentiles, oldest wait, active invocations (stats/figures.ts). */
  getStats(queue: string): Promise<QueueStats>;
  /** The queue's flow-control keys with tasks waiting, held or running, busiest first. */
  flow(queue: string, options?: { offset?: number; limit?: number }): Promise<FlowPage>;
  /** One flow-control key's state; null for a key the queue has never seen. */
  flowKey(queue: string, key: string): Promise<FlowKeyState | null>;
  /** The queue's flow totals: active keys, queued and held keyed tasks. */
  flowTotals(queue: string): Promise<FlowTotals>;
}
