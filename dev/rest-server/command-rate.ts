/**
 * Upstash's commands-per-second cap of a database (10,000 on the Pay-as-you-go plan), off unless
 * asked for: benchmarks measure edgeq, not the cap, except those that study scaling under it.
 *
 * Upstash bills the calls a script makes, so the count must include them; the REST server cannot
 * see inside a script, but Redis counts every command it runs, inner calls included, in INFO stats
 * `total_commands_processed`. The limiter reads it (one INFO on its own connection) after each
 * request that ran a script, before answering it, and every `pollMs` for other clients, and
 * charges the difference to the current one-second window, less what it already charged: a
 * request's own commands are charged when it is admitted, so a burst cannot pass the cap unseen. A request arriving when the window is spent waits for the next window, as a
 * throttled client would; the cap then bounds throughput. It counts every client of the
 * redis-server, so give a capped REST server a redis-server of its own.
 */
import type { Redis } from "ioredis";

export class CommandRateLimit {
  private windowStart = Date.now();
  private used = 0;
  private chargedSincePoll = 0;
  private lastTotal: number | undefined;
  private lastOwn = 0;
  private timer: NodeJS.Timeout | undefined;
  /** INFO commands sent, so that benchmarks can leave them out. */
  probes = 0;

  constructor(
    private readonly probe: Redis,
    readonly perSecond: number,
    /** Commands the server itself sends to this redis-server (record-size probes), not charged. */
    private readonly ownCommands: () => number,
    private readonly pollMs = 50,
  ) {}

  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll().catch(() => {}), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private roll(now: number): void {
    if (now - this.windowStart < 1000) return;
    this.windowStart = now - ((now - this.windowStart) % 1000);
    this.used = 0;
  }

  private polling: Promise<void> | undefined;

  /** Charges what ran since the last poll (concurrent callers share one INFO). */
  poll(): Promise<void> {
    this.polling ??= this.readTotal().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readTotal(): Promise<void> {
    this.probes++;
    const info = await this.probe.info("stats");
    const total = Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
    if (this.lastTotal !== undefined) {
      // the INFO itself ran too, and the server's own probes
      const own = this.ownCommands();
      const inner = total - this.lastTotal - 1 - (own - this.lastOwn) - this.chargedSincePoll;
      this.lastOwn = own;
      this.roll(Date.now());
      if (inner > 0) this.used += inner;
    }
    this.lastTotal = total;
    this.chargedSincePoll = 0;
  }

  /** Waits until the current window has room, then charges `commands` to it. */
  async admit(commands: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.roll(now);
      if (this.used < this.perSecond) break;
      await new Promise((resolve) => setTimeout(resolve, this.windowStart + 1000 - now));
    }
    this.used += commands;
    this.chargedSincePoll += commands;
  }

  /** Commands charged in the current window (tests). */
  usedNow(): number {
    this.roll(Date.now());
    return this.used;
  }
}
