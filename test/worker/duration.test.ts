import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/http/duration";

describe("durations as QStash takes them", () => {
  it.each([
    [0, 0],
    [1.5, 1_500],
    [600, 600_000],
    ["250ms", 250],
    ["10s", 10_000],
    ["1.5s", 1_500],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    [" 3s ", 3_000],
  ] as const)("reads %j as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, "", "10", "ten seconds", "5 m", "1w", "-5s", "1e3s"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
