import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyTally, type LogTally, MAX_LINE_BYTES, mergeTallies, tallyObject, tallyRange } from "../../functions/log-lines";
import { logRanges, summarize } from "../../functions/log-stats";
import { addToSketch, emptySketch, RELATIVE_ACCURACY, sketchQuantile } from "../../functions/quantile-sketch";
import { logFileText } from "../../dev/log-generator";

/** `bytes` as a stream cut into pieces of the given sizes (cycled), as a network read arrives. */
function streamOf(bytes: Uint8Array, pieces: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let turn = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const size = pieces[turn++ % pieces.length]!;
      controller.enqueue(bytes.subarray(at, at + size));
      at += size;
    },
  });
}

/** What the job's map tasks compute over one object cut into ranges, folded in a shuffled order. */
async function byRanges(bytes: Uint8Array, chunkBytes: number, pieces: number[]): Promise<LogTally> {
  const partials: LogTally[] = [];
  for (const range of logRanges([{ key: "k", etag: "e", size: bytes.length }], chunkBytes)) {
    const tally = emptyTally();
    tally.files = range.offset === 0 ? 1 : 0;
    tally.bytesRead = range.length;
    const from = Math.max(0, range.offset - 1);
    if (range.length > 0) await tallyRange(streamOf(bytes.subarray(from, range.offset + range.length + MAX_LINE_BYTES + 1), pieces), range, tally);
    partials.push(tally);
  }
  partials.reverse();
  return partials.reduce(mergeTallies, emptyTally());
}

const wholePass = (bytes: Uint8Array): Promise<LogTally> => tallyObject(streamOf(bytes, [65_536]), bytes.length);

const line = (path: string, status = "200", size = "512", ms = "12.5") => `2026-12-07T10:00:00.123Z GET ${path} ${status} ${size} ${ms}`;

describe("log lines", () => {
  it("counts well-formed lines by status and path, and every other line as malformed", async () => {
    const text = [line("/a"), line("/a", "404", "0", "3"), line("/b"), "", "not a log line", `${line("/c")} extra`, `${line("/crlf")}\r`, line("/last")].join("\n");
    const tally = await wholePass(new TextEncoder().encode(text));
    expect(tally).toMatchObject({ lines: 8, malformed: 3, responseBytes: 512 * 4, status: { "200": 4, "404": 1 }, paths: { "/a": 2, "/b": 1, "/crlf": 1, "/last": 1 } });
  });

  it("treats a line longer than MAX_LINE_BYTES as malformed, in one pass or cut into ranges", async () => {
    const text = `${line("/a")}\n${line(`/${"x".repeat(MAX_LINE_BYTES + 10)}`)}\n${line("/b")}\n`;
    const bytes = new TextEncoder().encode(text);
    const whole = await wholePass(bytes);
    expect(whole).toMatchObject({ lines: 3, malformed: 1 });
    expect(summarize(await byRanges(bytes, 1_000, [777]))).toEqual(summarize(whole));
  });
});

describe("log-stats ranges", () => {
  it("tally every line exactly once wherever the cuts fall (generated logs, UTF-8 paths, any stream chunking)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 0, max: 30_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.integer({ min: 1, max: 4_096 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom("", "\n", "tail without newline", "\r\n"),
        async (seed, size, chunkBytes, pieces, ending) => {
          const bytes = new TextEncoder().encode(logFileText(seed, 0, size) + ending);
          const whole = await wholePass(bytes);
          const split = await byRanges(bytes, chunkBytes, pieces);
          expect(split).toEqual(whole);
          expect(summarize(split)).toEqual(summarize(whole));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("counts an empty object as a file of no lines", async () => {
    expect([...logRanges([{ key: "empty", etag: "e", size: 0 }], 100)]).toEqual([{ key: "empty", etag: "e", offset: 0, length: 0 }]);
  });
});

describe("quantile sketch", () => {
  it("returns every quantile within its relative error of the exact value at that rank", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 2_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (values, q) => {
        const sketch = emptySketch();
        for (const value of values) addToSketch(sketch, value);
        const exact = [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil(q * values.length)) - 1]!;
        const estimate = sketchQuantile(sketch, q)!;
        // The estimate is rounded to 0.01 ms: allow that beside the relative bound.
        expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(exact * RELATIVE_ACCURACY + 0.005 + 1e-9);
      }),
      { numRuns: 300 },
    );
  });
});
