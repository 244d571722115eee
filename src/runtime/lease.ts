/**
 * Keeps the leases of one claimed batch alive while it runs. Every task of the batch is held until
 * the batch is settled (finished tasks wait for the slow ones, and their leases would lapse too),
 * so the whole batch is extended in one request every third of a lease: two chances to renew
 * before a lease can lapse, for a request every ten seconds at the default 30 s lease.
 * Time is measured from when each request was sent, never from the server's leaseUntil: the
 * Worker's clock and Redis's may differ, and the send time is the conservative side.
 */
import type { ClaimedTask, TaskQueue } from "../queue/types";
import type { Clock } from "./budget";
import type { Logger } from "./logger";

export interface LeaseKeeperOptions {
  queue: string;
  tasks: Pick<TaskQueue, "extendLeases">;
  leaseMs: number;
  clock: Clock;
  log: Logger;
  /** Runs just before each extension is sent: progress writes leave in the same request (auto-pipelined). */
  beforeRenew?: () => void;
}

export interface LeaseKeeper {
  /** The task's current lease token: extending a lease replaces it. */
  token(id: string): string;
  /** Calls `stop` if the task's lease cannot be extended (it expired and was taken over). */
  onLost(id: string, stop: (reason: string) => void): void;
  /** How many extension requests were made. */
  readonly extensions: number;
  /** Stops extending; waits for a request in flight so its new tokens are the ones used to settle. */
  stop(): Promise<void>;
}

/** Renew every `leaseMs / RENEW_SHARE`; after a failed request, retry `leaseMs / RETRY_SHARE` later. */
const RENEW_SHARE = 3;
const RETRY_SHARE = 8;

export function keepLeases(batch: readonly ClaimedTask[], claimSentAt: number, options: LeaseKeeperOptions): LeaseKeeper {
  const { queue, tasks, leaseMs, clock, log } = options;
  const tokens = new Map(batch.map((task) => [task.id, task.leaseToken]));
  const lostHandlers = new Map<string, (reason: string) => void>();
  const held = new Set(tokens.keys());
  let extensions = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const schedule = (delayMs: number) => {
    if (!stopped && held.size > 0) timer = setTimeout(renew, Math.max(10, delayMs));
  };
  const renew = () => {
    options.beforeRenew?.();
    const sentAt = clock.now();
    const leases = [...held].map((id) => ({ id, leaseToken: tokens.get(id) as string }));
    extensions++;
    inFlight = tasks.extendLeases(queue, leases, leaseMs).then(
      (extended) => {
        for (const lease of extended) {
          if (lease.leaseToken !== null) {
            tokens.set(lease.id, lease.leaseToken);
            continue;
          }
          held.delete(lease.id);
          log.warn("lease lost", { taskId: lease.id, queue });
          lostHandlers.get(lease.id)?.("lease lost: the task may be running elsewhere");
        }
        schedule(leaseMs / RENEW_SHARE - (clock.now() - sentAt));
      },
      (error: unknown) => {
        log.warn("lease extension failed; retrying", { queue, error: String(error) });
        schedule(leaseMs / RETRY_SHARE);
      },
    );
  };
  schedule(leaseMs / RENEW_SHARE - (clock.now() - claimSentAt));

  return {
    token: (id) => tokens.get(id) ?? "",
    onLost: (id, stop) => void lostHandlers.set(id, stop),
    get extensions() {
      return extensions;
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight;
    },
  };
}
