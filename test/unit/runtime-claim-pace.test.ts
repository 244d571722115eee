/** The pause of a busy queue's short batches before their settle and the next claim (src/runtime/drain.ts). */
import { describe, expect, it } from "vitest";
import { CLAIM_TARGET_TASKS, claimPace } from "../../src/runtime/drain";

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
});
