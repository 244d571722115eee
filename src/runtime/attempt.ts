/**
 * The `ctx` a task function receives, built lazily: most tasks never read their signal or logger,
 * and an AbortController plus a child logger per task cost more than a no-op task itself.
 */
import { type BlobStore, NO_BLOBS } from "../blobs/index";
import type { Logger } from "./logger";
import type { TaskContext } from "./types";

/** Why an attempt was stopped from outside (timeout, lost lease, end of the invocation). */
export class AttemptAborted extends Error {
  override readonly name = "AttemptAborted";
}

export class AttemptContext implements TaskContext {
  #controller: AbortController | undefined;
  #log: Logger | undefined;
  #abortedBy: AttemptAborted | undefined;

  constructor(
    readonly taskId: string,
    readonly queue: string,
    readonly attempt: number,
    private readonly fn: string,
    private readonly parentLog: Logger,
    private readonly reportProgress: (value: unknown) => void = () => {},
    readonly blobs: BlobStore = NO_BLOBS,
  ) {}

  /** Coalesced by the batch (progress.ts): cheap to call often. */
  progress(value: unknown): void {
    this.reportProgress(value);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortedBy) this.#controller.abort(this.#abortedBy);
    }
    return this.#controller.signal;
  }

  get log(): Logger {
    return (this.#log ??= this.parentLog.child({ taskId: this.taskId, queue: this.queue, fn: this.fn, attempt: this.attempt }));
  }

  /** The reason the attempt was stopped, if it was. */
  get abortedBy(): AttemptAborted | undefined {
    return this.#abortedBy;
  }

  /** Stops the attempt (once): the function sees its signal fire with an AttemptAborted reason. */
  abort(reason: string): AttemptAborted {
    this.#abortedBy ??= new AttemptAborted(reason);
    this.#controller?.abort(this.#abortedBy);
    return this.#abortedBy;
  }
}
