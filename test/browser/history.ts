/**
 * An hour of past traffic for one queue, written through the queue core with a clock set back
 * minute by minute: the statistics the scripts keep then hold a real hour of history (for the
 * charts and the README's screenshot), made by the same scripts a worker runs.
 */
import { Redis } from "@upstash/redis";
import { createTaskQueue } from "../../src/queue/index";
import type { StackInfo } from "../../dev/stack";

const MINUTE = 60_000;

export async function seedHistory(info: StackInfo, queue: string): Promise<{ succeeded: number; dead: number }> {
  const redis = new Redis({ url: info.redisRestUrl, token: info.redisRestToken, enableTelemetry: false, automaticDeserialization: false, responseEncoding: false });
  let clock = Date.now() - 60 * MINUTE;
  const core = createTaskQueue(redis, { now: () => clock });
  let succeeded = 0;
  let dead = 0;
  for (let minute = 0; minute < 58; minute++) {
    clock = Date.now() - (60 - minute) * MINUTE;
    // a daily-looking wave of load, and run times that grow with it
    const load = Math.max(5, Math.round(45 + 30 * Math.sin(minute / 9) + 12 * Math.sin(minute / 2.3)));
    await core.enqueue(queue, Array.from({ length: load }, (_, i) => ({ fn: "echo", input: { minute, i } })));
    clock += 150 + load * 6;
    // real workers (the cron) may take some of these; the rest are settled here
    const claimed = await core.claim(queue, load);
    clock += 40 + load * 2;
    const failing = minute % 13 === 5 ? claimed.slice(0, 2) : [];
    const ok = claimed.slice(failing.length);
    await core.complete(queue, ok.map((t) => ({ id: t.id, leaseToken: t.leaseToken, result: t.input })));
    if (failing.length > 0) {
      await core.fail(queue, failing.map((t) => ({ id: t.id, leaseToken: t.leaseToken, error: `thumbnail service answered 503 (minute ${minute})`, retryable: false })));
    }
    succeeded += ok.length;
    dead += failing.length;
  }
  return { succeeded, dead };
}
