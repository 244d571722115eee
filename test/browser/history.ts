/**
 * An hour of past traffic for one queue, written through the queue core with a clock set back
 * minute by minute: the statistics the scripts keep then hold a real hour of history (for the
 * charts and the README's screenshot), made by the same scripts a worker runs.
 */
import { RAW_REPLIES, restRedis } from "../support/redis-client";
import { createTaskQueue } from "../../src/queue/index";
import type { StackInfo } from "../../dev/stack";

const MINUTE = 60_000;

export async function seedHistory(info: StackInfo, queue: string): Promise<{ succeeded: number; dead: number }> {
  const redis = restRedis(info.redisRestUrl, info.redisRestToken, RAW_REPLIES);
  let clock = Date.now() - 60 * MINUTE;
  const core = createTaskQueue(redis, { now: () => clock });
  let succeeded = 0;
  let dead = 0;
  for (let minute = 0; minute < 58; minute++) {
    clock = Date.now() - (60 - minute) * MINUTE;
    // a daily-looking wave of load, and run times that grow with it
    const load = Math.max(5, Math.round(45 + 30 * Math.sin(minute / 9) + 12 * Math.sin(minute / 2.3)));
    // Issued in the same tick, the enqueue and the claim travel in one pipelined request (each reads
    // the clock as it is called), so the cron's workers have next to no chance to take the tasks.
    const enqueued = core.enqueue(queue, Array.from({ length: load }, (_, i) => ({ fn: "echo", input: { minute, i } })));
    clock += 150 + load * 6;
    // leases outlast the backdating, or the cron would reclaim them as expired
    const claiming = core.claim(queue, load, 3 * 60 * MINUTE);
    const [, claimed] = await Promise.all([enqueued, claiming]);
    const failing = minute % 13 === 5 ? claimed.slice(0, 2) : [];
    const ok = claimed.slice(failing.length);
    // settled in a few slices, so that run times spread as real ones do
    const slices = [0.5, 0.3, 0.15, 0.05];
    let from = 0;
    for (const [i, share] of slices.entries()) {
      const to = i === slices.length - 1 ? ok.length : from + Math.round(ok.length * share);
      clock += (i === 0 ? 20 : 30 * 2 ** i) + load * (i + 1);
      await core.complete(queue, ok.slice(from, to).map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: t.input })));
      from = to;
    }
    if (failing.length > 0) {
      await core.fail(queue, failing.map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: `thumbnail service answered 503 (minute ${minute})`, retryable: false })));
    }
    succeeded += ok.length;
    dead += failing.length;
  }
  return { succeeded, dead };
}
