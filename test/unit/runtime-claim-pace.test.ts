/** The pause of a busy queue's short batches before their settle and the next claim (src/runtime/drain.ts). */
import { describe, expect, it } from "vitest";
import { BURST_END_TASKS, CLAIM_TARGET_TASKS, claimPace } from "../../src/runtime/drain";

describe("claimPace", () => {
  it("aims the next claim at CLAIM_TARGET_TASKS at the rate the last claim saw", () => {
    // 5 tasks came in the 5 ms between two claims: the target takes CLAIM_TARGET_TASKS ms at that rate
    expect(claimPace(5, 5, 100)).toBe((CLAIM_TARGET_TASKS * 5) / 5);
    // a faster queue waits less
    expect(claimPace(20, 5, 100)).toBeLessThan(claimPace(5, 5, 100));
  });

  it("never waits past its cap, nor at all after a claim that took nothing or one task", () => {
    expect(claimPace(2, 1_000, 50)).toBe(50);
    expect(claimPace(1, 1_000, 50)).toBe(0);
    expect(claimPace(0, 10, 50)).toBe(0);
    expect(claimPace(3, -5, 50)).toBe(0);
  });

  it("settles at once a claim that took under half of the one before: a burst's last tasks wait for no one", () => {
    // the burst ended 5 ms into this claim's 30: at its rate the pace would hold these results for the whole cap
    expect(claimPace(10, 30, 100)).toBe(100);
    expect(claimPace(10, 30, 100, 60)).toBe(0);
    // half or more of the claim before: the same queue, paced as before
    expect(claimPace(30, 30, 100, 60)).toBe(claimPace(30, 30, 100));
    // a trickle's claims swing by more than half by chance: below BURST_END_TASKS they stay paced
    expect(claimPace(2, 50, 100, BURST_END_TASKS - 1)).toBe(claimPace(2, 50, 100));
  });
});
