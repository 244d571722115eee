/**
 * Calls whose clocks disagree: a request carries its own `now`, so a call built on a clock that lags
 * another's (another Worker, or the same request sent again after its answer was lost: @upstash/redis
 * resends the body it built) can run after a call that promoted a retry by a later clock. The chaos
 * test found retries lost this way: the lagging claim took the promoted task out of its prioritized
 * set, judged it not yet due, and left it in no structure at all.
 */
import { describe, expect, it } from "vitest";
import { queueFixture, queueName } from "./queue-fixture";

describe("queue core: calls with clocks that disagree", () => {
  const { queue, clock } = queueFixture({
    defaults: { leaseMs: 10_000, maxAttempts: 5, backoff: { type: "fixed", baseMs: 1_000, maxMs: 1_000, jitter: 0 } },
  });

  it("a claim on a lagging clock takes a retry another call promoted, and loses nothing", async () => {
    const q = queueName();
    await queue.enqueue(q, [{ fn: "f", input: 1 }]);
    const [task] = await queue.claim(q, 1);
    const started = clock.now;
    expect(await queue.fail(q, [{ id: task!.id, leaseToken: task!.leaseToken, error: "boom", retryable: true }])).toEqual([
      { id: task!.id, outcome: "retrying", runAt: started + 1_000 },
    ]);
    // a call on a clock past the retry's due time promotes it
    clock.now = started + 1_500;
    expect(await queue.upkeep(q)).toMatchObject({ promoted: 1 });
    // a call built 600 ms earlier (before the retry was due) claims after it
    clock.now = started + 900;
    const lagging = await queue.claim(q, 10);
    clock.now = started + 2_000;
    const later = await queue.claim(q, 10);
    const claimed = [...lagging, ...later];
    expect(claimed.map((t) => [t.id, t.attempt])).toEqual([[task!.id, 2]]);
    expect(await queue.get(task!.id)).toMatchObject({ status: "running", attempts: 2 });
    expect((await queue.getQueue(q)).counts).toMatchObject({ queued: 0, delayed: 0, running: 1 });
  });
});
