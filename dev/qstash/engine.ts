import { setMaxListeners } from "node:events";
import { callbackMessage } from "./callbacks";
import type { CatalogStore } from "./catalog-store";
import { attemptDelivery, type AttemptOutcome } from "./delivery";
import type { EventLog } from "./event-log";
import { Admission, queueKey, type Decision } from "./admission";
import type { FlowControlChange } from "./flow-control";
import type { Accepted, MessageStore } from "./message-store";
import { newId } from "./publish";
import { retryAfterMs, retryDelayMs } from "./retry-delay";
import type { DlqRecord, FlowControlSetting, MessageRecord, QueueRecord } from "./types";

/** Switches for chaos tests: pushes delivered twice or late (late ones arrive out of order). */
export interface DeliveryFaults {
  /**
   * Probability in [0, 1] that a delivery is sent twice: half of the duplicates race the first
   * attempt (both in flight at once), the others follow a successful one.
   */
  duplicateProbability?: number;
  /** Each attempt waits a random 0..maxExtraDelayMs before it is sent. */
  maxExtraDelayMs?: number;
  /** The draws behind the faults (a chaos run's seeded stream, so that it can be replayed); Math.random by default. */
  random?: () => number;
  /** Sees every answer a destination gave (a chaos harness reading the workers' reports). */
  watch?: (message: MessageRecord, outcome: AttemptOutcome) => void;
}

/** Delivery attempts sent, and the faults injected into them (what a chaos report counts). */
export interface DeliveryStats {
  attempts: number;
  duplicated: number;
  delayed: number;
}

export interface EngineOptions {
  /** Deliveries in flight at once, across all destinations. */
  concurrency: number;
  signingKey: string;
  dedupWindowMs: number;
  faults: DeliveryFaults;
  /** How long close() lets deliveries in flight finish before abandoning them to the next start. */
  closeGraceMs: number;
  events: EventLog;
  /** Fires the schedules due by `now` (publishing through accept) and returns the next tick time. */
  fireSchedules(now: number): Promise<number | undefined>;
}

// Messages held back by a parallelism limit wait in memory (still "in flight" in Redis, so a restart
// keeps them); this bounds that memory.
const maxWaiting = 10_000;
const claimBatch = 200;
// setTimeout overflows past 2^31 ms; waking early is harmless, the loop re-arms.
const maxSleepMs = 3_600_000;

/**
 * The delivery loop. It sleeps on one timer set to the next due message or schedule tick, claims what is
 * due in batches (one Redis script per batch), and runs up to `concurrency` deliveries at once, holding
 * back those whose flow-control key or queue is at its parallelism until a slot frees.
 */
export class DeliveryEngine {
  private readonly admission = new Admission();
  private readonly shutdown = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  readonly stats: DeliveryStats = { attempts: 0, duplicated: 0, delayed: 0 };
  private timer?: NodeJS.Timeout;
  private timerAt = Number.POSITIVE_INFINITY;
  private pumping?: Promise<void>;
  private pumpAgain = false;
  private starved = false;
  private delivering = 0;
  private closed = false;
  /** The next schedule tick; schedules are only read from Redis when one is due. */
  private nextTickAt = 0;

  constructor(
    private readonly messages: MessageStore,
    private readonly catalog: CatalogStore,
    readonly options: EngineOptions,
  ) {
    // Every delivery in flight listens for shutdown.
    setMaxListeners(0, this.shutdown.signal);
  }

  async start(): Promise<void> {
    await this.messages.requeueInFlight();
    for (const queue of await this.catalog.queues.all()) this.admission.setQueue(queue.name, queue);
    for (const { name, paused, pinned } of await this.catalog.flowControls.all()) this.admission.control(name, { paused, pin: pinned });
    this.wakeAt(Date.now());
  }

  /** Stores a message (unless deduplicated) and makes sure the loop wakes when it is due. */
  async accept(message: MessageRecord, deduplicationId?: string): Promise<Accepted> {
    const accepted = await this.messages.enqueue(message, deduplicationId, this.options.dedupWindowMs);
    if (!accepted.deduplicated) {
      this.options.events.record("CREATED", message);
      this.wakeAt(message.notBefore);
    }
    return accepted;
  }

  wakeAt(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    const wake = () => {
      this.timerAt = Number.POSITIVE_INFINITY;
      void this.pump();
    };
    const delay = Math.min(Math.max(0, at - Date.now()), maxSleepMs);
    // a message due now goes out in this turn of the loop: Node makes a 0 ms timeout one of 1 ms at
    // least, on the push path of every enqueue (a timer set meanwhile for later is then superseded)
    if (delay === 0) setImmediate(wake);
    else this.timer = setTimeout(wake, delay);
  }

  /** A schedule was created or resumed: its first tick may come before any the loop knows of. */
  scheduleChanged(nextTickAt: number | undefined): void {
    if (nextTickAt === undefined) return;
    this.nextTickAt = Math.min(this.nextTickAt, nextTickAt);
    this.wakeAt(nextTickAt);
  }

  /** Drops canceled messages that wait in memory for a flow-control slot. */
  forget(messageIds: string[]): void {
    this.admission.forget(messageIds);
  }

  flowControlInfo(key: string): Record<string, unknown> | undefined {
    return this.admission.info(key);
  }

  async controlFlow(key: string, change: FlowControlChange): Promise<void> {
    const override = this.admission.control(key, change);
    const pinned = Object.values(override.pinned).some((value) => value !== undefined);
    if (override.paused || pinned) await this.catalog.flowControls.put(override);
    else await this.catalog.flowControls.delete(key);
    this.drain(key);
  }

  globalParallelism(): { parallelismMax: number; parallelismCount: number } {
    return { parallelismMax: this.options.concurrency, parallelismCount: this.delivering };
  }

  /** A queue was created, changed, paused, resumed or deleted: its held-back messages may go now. */
  queueChanged(name: string, queue: QueueRecord | undefined): void {
    this.admission.setQueue(name, queue);
    this.drain(queueKey(name));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.pumping;
    const settled = Promise.allSettled([...this.inFlight]);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.options.closeGraceMs).unref());
    await Promise.race([settled, grace]);
    // What is still running is abandoned in flight; the next start delivers it again (at least once).
    this.shutdown.abort();
    await settled;
  }

  private pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      do {
        this.pumpAgain = false;
        try {
          await this.claimDue();
        } catch (error) {
          if (this.closed) return;
          console.error(`[qstash-dev] delivery loop: ${(error as Error).message}; retrying in 1 s`);
          this.wakeAt(Date.now() + 1000);
        }
      } while (this.pumpAgain && !this.closed);
    })().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  private async claimDue(): Promise<void> {
    if (Date.now() >= this.nextTickAt) this.nextTickAt = (await this.options.fireSchedules(Date.now())) ?? Number.POSITIVE_INFINITY;
    const nextTick = this.nextTickAt;
    for (;;) {
      if (this.closed) return;
      const room = Math.min(this.options.concurrency - this.delivering, maxWaiting - this.admission.waiting, claimBatch);
      if (room <= 0) {
        this.starved = true;
        return;
      }
      const now = Date.now();
      const { messages, nextDueAt } = await this.messages.claimDue(now, room);
      for (const message of messages) this.admit(message, now);
      if (messages.length < room) {
        const next = Math.min(nextDueAt ?? Number.POSITIVE_INFINITY, nextTick);
        if (next < Number.POSITIVE_INFINITY) this.wakeAt(next);
        return;
      }
    }
  }

  private admit(message: MessageRecord, now: number): void {
    if (this.closed) return; // left in flight: the next start delivers it
    this.act(message, this.admission.admit(message, now), now);
  }

  private act(message: MessageRecord, decision: Decision, now: number): void {
    if (this.closed) return; // left in flight: the next start delivers it
    if (decision.kind === "start") this.launch(message, decision);
    else if (decision.kind === "later") void this.putBack(message, now + decision.ms);
  }

  private drain(key: string): void {
    const now = Date.now();
    for (const { message, decision } of this.admission.drain(key, now)) this.act(message, decision, now);
  }

  private async putBack(message: MessageRecord, dueAt: number): Promise<void> {
    try {
      if (await this.messages.release(message, dueAt, false)) this.wakeAt(dueAt);
    } catch (error) {
      console.error(`[qstash-dev] could not put back ${message.messageId}: ${(error as Error).message}`);
    }
  }

  private launch(message: MessageRecord, { settings }: { settings: FlowControlSetting[] }): void {
    this.delivering += 1;
    this.options.events.record("ACTIVE", message);
    const run: Promise<void> = this.deliver(message)
      .catch((error: unknown) => console.error(`[qstash-dev] delivery of ${message.messageId}: ${(error as Error).message}`))
      .finally(() => {
        this.delivering -= 1;
        this.inFlight.delete(run);
        const now = Date.now();
        for (const { message: next, decision } of this.admission.finish(settings, now)) this.act(next, decision, now);
        if (this.starved && !this.closed) {
          this.starved = false;
          void this.pump();
        }
      });
    this.inFlight.add(run);
  }

  private async deliver(message: MessageRecord): Promise<void> {
    const { faults } = this.options;
    const random = faults.random ?? Math.random;
    if (faults.maxExtraDelayMs) {
      this.stats.delayed++;
      await new Promise((resolve) => setTimeout(resolve, random() * (faults.maxExtraDelayMs ?? 0)));
    }
    const duplicate = faults.duplicateProbability !== undefined && random() < faults.duplicateProbability;
    const concurrent = duplicate && random() < 0.5;
    const first = this.attempt(message);
    const racing = concurrent ? this.attempt(message, true) : undefined;
    const outcome = await first;
    await racing;
    if (this.shutdown.signal.aborted) return; // stays in flight in Redis: redelivered after a restart
    if (duplicate && !concurrent && outcome.ok) await this.attempt(message, true);
    // Redis may be briefly away; the message stays in flight meanwhile, and a restart would resend it.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.settle(message, outcome);
      } catch (error) {
        if (this.closed || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** One delivery attempt, counted (and, for a duplicate, counted as one) and shown to `faults.watch`. */
  private async attempt(message: MessageRecord, duplicate = false): Promise<AttemptOutcome> {
    this.stats.attempts++;
    if (duplicate) this.stats.duplicated++;
    const outcome = await attemptDelivery(message, this.options.signingKey, this.shutdown.signal);
    this.options.faults.watch?.(message, outcome);
    return outcome;
  }

  private async settle(message: MessageRecord, outcome: AttemptOutcome): Promise<void> {
    const now = Date.now();
    const { events } = this.options;
    if (outcome.status !== undefined && message.callback && !message.callbackOf) {
      await this.accept(callbackMessage(message, outcome, { url: message.callback, options: message.callbackOptions }, now));
    }
    if (outcome.ok) {
      events.record("DELIVERED", message, { responseStatus: outcome.status });
      return this.messages.complete(message.messageId);
    }
    const failure = { responseStatus: outcome.status, error: outcome.error ?? `HTTP ${outcome.status}` };
    events.record("ERROR", message, failure);
    // 489 with Upstash-NonRetryable-Error: true is the destination saying "do not retry this one".
    const retryable = !(outcome.status === 489 && outcome.header?.["upstash-nonretryable-error"]?.[0] === "true");
    if (retryable && message.retried < message.maxRetries) {
      const delay = retryAfterMs(outcome.header, now) ?? retryDelayMs(message.retried, message.retryDelayExpression);
      const dueAt = now + delay;
      if (await this.messages.release({ ...message, retried: message.retried + 1 }, dueAt, true)) {
        events.record("RETRY", message, { ...failure, nextDeliveryTime: dueAt });
        this.wakeAt(dueAt);
      }
      return;
    }
    const entry: DlqRecord = {
      ...message,
      dlqId: newId("dlq_"),
      responseStatus: outcome.status,
      responseHeader: outcome.header,
      responseBodyBase64: outcome.bodyBase64,
      error: outcome.error,
      failedAt: now,
    };
    if (!(await this.messages.deadLetter(entry))) return;
    events.record("FAILED", message, failure);
    if (message.failureCallback && !message.callbackOf) {
      const target = { url: message.failureCallback, options: message.failureCallbackOptions };
      await this.accept(callbackMessage(message, outcome, target, now, entry.dlqId));
    }
  }
}
