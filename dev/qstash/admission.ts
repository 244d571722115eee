import { FlowGates, type FlowControlChange } from "./flow-control";
import type { FlowControlOverride, FlowControlSetting, MessageRecord, QueueRecord } from "./types";

/** What to do with a claimed message now. */
export type Decision =
  | { kind: "start"; settings: FlowControlSetting[] }
  /** A rate window is full: due again in `ms`. */
  | { kind: "later"; ms: number }
  /** A parallelism limit is reached: held in memory until a slot of its key frees. */
  | { kind: "held" };

/**
 * Which claimed messages may be delivered now, under their flow-control key and their queue (a queue is
 * a key whose parallelism is the queue's, 0 while paused). Messages held back wait in memory, FIFO per
 * key; in Redis they stay in flight, so a restart loses none of them.
 */
export class Admission {
  private readonly gates = new FlowGates();
  private readonly waitlists = new Map<string, MessageRecord[]>();
  private readonly queues = new Map<string, QueueRecord>();
  /** Messages held back, across keys. */
  waiting = 0;

  setQueue(name: string, queue: QueueRecord | undefined): void {
    if (queue) this.queues.set(name, queue);
    else this.queues.delete(name);
  }

  private settingsOf(message: MessageRecord): FlowControlSetting[] {
    const settings = message.flowControl ? [message.flowControl] : [];
    if (message.queueName) {
      const queue = this.queues.get(message.queueName);
      settings.push({ key: queueKey(message.queueName), parallelism: queue?.paused ? 0 : (queue?.parallelism ?? 1) });
    }
    return settings;
  }

  admit(message: MessageRecord, now: number): Decision {
    const settings = this.settingsOf(message);
    const admission = this.gates.tryStart(settings, now);
    if (admission.kind === "start") return { kind: "start", settings };
    if (admission.kind === "wait") return { kind: "later", ms: admission.ms };
    this.holdBack(admission.key, message);
    return { kind: "held" };
  }

  private holdBack(key: string, message: MessageRecord): void {
    const list = this.waitlists.get(key) ?? [];
    list.push(message);
    this.waitlists.set(key, list);
    this.waiting += 1;
  }

  /** A delivery under `settings` ended: frees its slots and returns the held messages that may go now. */
  finish(settings: FlowControlSetting[], now: number): { message: MessageRecord; decision: Decision }[] {
    this.gates.finish(settings);
    return settings.flatMap((setting) => this.drain(setting.key, now));
  }

  /** Takes from the front of `key`'s waitlist every message whose turn has come. */
  drain(key: string, now: number): { message: MessageRecord; decision: Decision }[] {
    const list = this.waitlists.get(key);
    const released: { message: MessageRecord; decision: Decision }[] = [];
    while (list && list.length > 0) {
      const message = list[0] as MessageRecord;
      const settings = this.settingsOf(message);
      const admission = this.gates.tryStart(settings, now);
      if (admission.kind === "full" && admission.key === key) break;
      list.shift();
      this.waiting -= 1;
      if (admission.kind === "full") this.holdBack(admission.key, message);
      else released.push({ message, decision: admission.kind === "start" ? { kind: "start", settings } : { kind: "later", ms: admission.ms } });
    }
    if (list?.length === 0) this.waitlists.delete(key);
    return released;
  }

  /** Drops canceled messages from the waitlists. */
  forget(messageIds: string[]): void {
    const ids = new Set(messageIds);
    for (const [key, list] of this.waitlists) {
      const kept = list.filter((message) => !ids.has(message.messageId));
      this.waiting -= list.length - kept.length;
      if (kept.length > 0) this.waitlists.set(key, kept);
      else this.waitlists.delete(key);
    }
  }

  info(key: string): Record<string, unknown> | undefined {
    return this.gates.info(key, this.waitlists.get(key)?.length ?? 0);
  }

  control(key: string, change: FlowControlChange): FlowControlOverride {
    return this.gates.control(key, change);
  }
}

export function queueKey(name: string): string {
  return `queue:${name}`;
}
