/**
 * The runtime's contract with the HTTP layer and the Worker entry. src/http calls these; src/runtime
 * implements them. Both take the Worker's Env (src/env.ts) and build their clients per invocation.
 */
import type { z } from "zod";
import type { BlobStore } from "../blobs/index";
import type { FlowControl } from "../queue/types";

export interface TaskContext {
  taskId: string;
  queue: string;
  /** 1 on the first run: use it with taskId to make side effects idempotent. */
  attempt: number;
  /** Aborted when the task's timeout runs out or the invocation's budget ends. */
  signal: AbortSignal;
  log: TaskLogger;
  /**
   * Reports how far the task is (any JSON, at most 4 KiB; `{done, total}` draws a progress bar),
   * shown by GET /v1/tasks/{id} and streamed by its events. Calls are coalesced: call it freely.
   */
  progress(value: unknown): void;
  /** The deployment's R2 bucket: read a byte range of an input file, write an output (src/blobs/store.ts). */
  blobs: BlobStore;
}

export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A task function as a user writes it in functions/ (see defineFunction in src/runtime/function.ts). */
export interface TaskFunction<Input = unknown, Output = unknown> {
  name: string;
  description?: string;
  input: z.ZodType<Input>;
  /** Overrides the queue's maxAttempts for tasks of this function. */
  maxAttempts?: number;
  /** Per-attempt time limit; the AbortSignal fires when it runs out. */
  timeoutMs?: number;
  /**
   * The flow control of a task enqueued by name without one of its own, from its input: e.g.
   * `(input) => ({ key: input.customer, parallelism: 2 })` (README "Flow control").
   */
  flowControl?(input: Input): FlowControl | undefined;
  run(input: Input, ctx: TaskContext): Promise<Output> | Output;
}

/** The body QStash delivers to POST /v1/work. */
export interface PushMessage {
  queue: string;
  /** A fold push: fold the queue's outbox (src/runtime/jobs/fold-push.ts) and claim nothing. */
  fold?: true;
  /**
   * An inline start's safety net (src/runtime/safety-net.ts): deferred while the queue is live,
   * published again with the flow-control parallelism it carried.
   */
  net?: { parallelism: number };
}

/** What one invocation did: returned by the push handler as JSON and logged by the cron handler. */
export interface BatchReport {
  queue: string;
  claimed: number;
  succeeded: number;
  retrying: number;
  dead: number;
  stale: number;
  /** Pushes published to start more invocations for the remaining backlog. */
  published: number;
  durationMs: number;
}
