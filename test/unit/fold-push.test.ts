/**
 * When fold pushes are asked for (src/runtime/jobs/fold-push.ts): one per queue and slot whatever
 * the number of batches settled in it, always for a second still to come, and asked again after a
 * publish that failed. The publisher here records what it would send to QStash.
 */
import { describe, expect, it } from "vitest";
import { FOLD_LEASE_MS } from "../../src/runtime/jobs/fold";
import { foldPushes } from "../../src/runtime/jobs/fold-push";
import type { PushRequest } from "../../src/runtime/autoscale";
import { createLogger } from "../../src/runtime/logger";

function recording(failures = 0) {
  const sent: PushRequest[] = [];
  let failing = failures;
  return {
    sent,
    destination: `https://unit-${Math.random()}.test/v1/work`,
    async publish(pushes: PushRequest[]) {
      if (failing-- > 0) throw new Error("QStash unreachable");
      sent.push(...pushes);
      return pushes.map(() => true);
    },
  };
}
const log = createLogger("error", {}, () => {});

describe("fold pushes", () => {
  it("are asked for once per queue and slot of a third of a lease, for after the lease, whatever the batches", async () => {
    const publisher = recording();
    let now = 1_700_000_000_000;
    const pushes = foldPushes(publisher, { now: () => now }, log);
    for (let batch = 0; batch < 20; batch++) await pushes.ensure("q");
    await pushes.ensure("other");
    expect(publisher.sent.map((push) => push.queue)).toEqual(["q", "other"]);
    const [first] = publisher.sent;
    expect(first).toMatchObject({ fold: true, deduplicationId: `q.fold.${first!.notBefore}` });
    expect(first!.parallelism).toBeUndefined();
    expect(first!.notBefore! * 1_000).toBeGreaterThanOrEqual(now + FOLD_LEASE_MS);
    expect(first!.notBefore! * 1_000).toBeLessThanOrEqual(now + FOLD_LEASE_MS + FOLD_LEASE_MS / 3 + 2_000);
    now += FOLD_LEASE_MS / 3;
    await pushes.ensure("q");
    expect(publisher.sent).toHaveLength(3);
    expect(publisher.sent[2]!.notBefore).toBeGreaterThan(first!.notBefore!);
  });

  it("ask again in the same slot after a publish that failed; `at` never names a second gone by", async () => {
    const publisher = recording(1);
    const now = 1_700_000_000_400;
    const pushes = foldPushes(publisher, { now: () => now }, log, 2_000);
    await pushes.ensure("q");
    expect(publisher.sent).toEqual([]);
    await pushes.ensure("q");
    expect(publisher.sent).toHaveLength(1);
    await pushes.at("q", now - 5_000);
    expect(publisher.sent[1]).toMatchObject({ notBefore: Math.floor(now / 1_000) + 1, fold: true });
  });
});
