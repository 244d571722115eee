/**
 * The README's benchmark figures are generated from bench/results (bench/readme.ts), never copied by
 * hand: the committed README must be exactly what its generator makes of the committed JSON.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README_SECTIONS, regenerate } from "../../bench/readme";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("the README's generated sections", () => {
  it("are what bench/readme.ts renders from bench/results, each between its markers", () => {
    expect(Object.keys(README_SECTIONS).length).toBeGreaterThan(0);
    expect(regenerate(readme)).toBe(readme);
  });

  it("change when their results change, and a README without the markers is refused", () => {
    const results = (name: string) => {
      const real = JSON.parse(readFileSync(new URL(`../../bench/results/${name}.json`, import.meta.url), "utf8"));
      if (name === "log-stats") return { ...real, throughput: real.throughput.map((run: { jobMBps: number }) => ({ ...run, jobMBps: 999.9 })) };
      if (name === "soak") return { runs: real.runs.map((run: { report: object }) => ({ ...run, report: { ...run.report, lost: 7 } })) };
      return real;
    };
    const changed = regenerate(readme, results);
    expect(changed).not.toBe(readme);
    expect(changed).toContain("**999.9 MB/s**");
    expect(changed).toMatch(/\| \d{4}-\d\d-\d\d, load .* \| \*\*7\*\* \| \*\*0\*\* \| \*\*0\*\* \|/);
    expect(() => regenerate("# a README with no markers\n")).toThrow(/no generated section "benchmarks"/);
  });
});
