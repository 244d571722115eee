import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inlineStartOn } from "../../src/runtime/inline-start";
import { NET_DELAY_MS, NET_GRID_MS, safetyNetAt, safetyNetPush } from "../../src/runtime/safety-net";

describe("the inline start's switch", () => {
  it("is on unless EDGEQ_INLINE_START is off", () => {
    expect(inlineStartOn({})).toBe(true);
    expect(inlineStartOn({ EDGEQ_INLINE_START: "on" })).toBe(true);
    expect(inlineStartOn({ EDGEQ_INLINE_START: "off" })).toBe(false);
  });
});

describe("the inline start's safety net", () => {
  it("fires NET_DELAY_MS to NET_DELAY_MS + NET_GRID_MS after the start, on the grid", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (now) => {
        const at = safetyNetAt(now);
        expect(at % NET_GRID_MS).toBe(0);
        expect(at - now).toBeGreaterThanOrEqual(NET_DELAY_MS);
        expect(at - now).toBeLessThan(NET_DELAY_MS + NET_GRID_MS);
      }),
    );
  });

  it("is one delayed push for every start of a queue within a grid step", () => {
    // the starts whose net falls on the mark 1,700,000,000 s: the grid step ending NET_DELAY_MS before it
    const last = 1_700_000_000_000 - NET_DELAY_MS;
    const starts = [last - NET_GRID_MS + 1, last - NET_GRID_MS / 2, last - 1, last];
    const ids = new Set(starts.map((now) => safetyNetPush("q", safetyNetAt(now), 4).deduplicationId));
    expect(ids).toEqual(new Set(["q.net.1700000000"]));
    expect(safetyNetPush("q", safetyNetAt(last + 1), 4)).toEqual({ queue: "q", deduplicationId: `q.net.${1_700_000_000 + NET_GRID_MS / 1_000}`, parallelism: 4, notBefore: 1_700_000_000 + NET_GRID_MS / 1_000, net: true });
  });
});
