import { z } from "zod";
import { blobPrefixProblem } from "../src/blobs/index";
import { defineJob, PermanentError } from "../src/runtime/index";
import { emptyTally, type LogTally, MAX_LINE_BYTES, mergeTallies, tallyRange } from "./log-lines";
import { RELATIVE_ACCURACY, sketchQuantile } from "./quantile-sketch";

/** The input carries the listing (bounded like any job input): more objects, more jobs. */
export const MAX_LOG_FILES = 250;
const MIB = 1024 * 1024;

const LogFile = z.object({ key: z.string(), size: z.int().min(0), etag: z.string() });
type LogFile = z.infer<typeof LogFile>;
interface LogRange {
  key: string;
  etag: string;
  offset: number;
  length: number;
}

/** The byte ranges of the files, `chunkBytes` each (an empty file is one empty range, so that it is counted). */
export function* logRanges(files: readonly LogFile[], chunkBytes: number): Generator<LogRange> {
  for (const { key, etag, size } of files) {
    if (size === 0) yield { key, etag, offset: 0, length: 0 };
    for (let offset = 0; offset < size; offset += chunkBytes) yield { key, etag, offset, length: Math.min(chunkBytes, size - offset) };
  }
}

/** The job's answer from a tally: the same function finishes the single-process pass. */
export function summarize(tally: LogTally) {
  const topPaths = Object.entries(tally.paths)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, 10);
  const status = Object.fromEntries(Object.entries(tally.status).sort(([a], [b]) => a.localeCompare(b)));
  const { files, lines, malformed, bytesRead, responseBytes, durations } = tally;
  const durationMs = { p50: sketchQuantile(durations, 0.5), p95: sketchQuantile(durations, 0.95), p99: sketchQuantile(durations, 0.99), relativeError: RELATIVE_ACCURACY };
  return { files, lines, malformed, bytesRead, responseBytes, status, topPaths, durationMs };
}

/**
 * Statistics of access logs in R2: every object under `prefix` is read in `chunkBytes` ranges, one
 * map task each, cut at line boundaries (a line belongs to the range its first byte is in). Counts
 * are exact; the duration quantiles come from a mergeable sketch, within 1% of the exact value.
 */
export const logStats = defineJob({
  name: "log-stats",
  description: "Status counts, top paths and duration quantiles of the access logs under an R2 prefix, read in parallel byte ranges.",
  input: z.object({
    prefix: z.string().min(1).max(512).refine((prefix) => blobPrefixProblem(prefix) === null, { error: (issue) => `prefix ${blobPrefixProblem(String(issue.input))}` }),
    chunkBytes: z.int().min(256).max(64 * MIB).default(8 * MIB),
    /** Filled in when the job starts (prepare): the objects as they were then. */
    files: z.array(LogFile).max(MAX_LOG_FILES).optional(),
  }),
  async prepare(input, { blobs }) {
    const files: LogFile[] = [];
    for await (const blob of blobs.list(input.prefix)) {
      if (files.length === MAX_LOG_FILES) throw new PermanentError(`more than ${MAX_LOG_FILES} objects under "${input.prefix}": start one job per folder`);
      files.push({ key: blob.key, size: blob.size, etag: blob.etag });
    }
    return { ...input, files };
  },
  count: ({ files = [], chunkBytes }) => files.reduce((sum, file) => sum + Math.max(1, Math.ceil(file.size / chunkBytes)), 0),
  split: ({ files = [], chunkBytes }) => logRanges(files, chunkBytes),
  map: async (range: LogRange, ctx) => {
    const tally = emptyTally();
    tally.files = range.offset === 0 ? 1 : 0;
    tally.bytesRead = range.length;
    if (range.length === 0) return tally;
    // From the byte before the range (is a line starting at its first byte?) to one longest line past it.
    const from = Math.max(0, range.offset - 1);
    const read = await ctx.blobs.get(range.key, { range: { offset: from, length: range.offset + range.length - from + MAX_LINE_BYTES + 1 } });
    if (!read) throw new PermanentError(`log object "${range.key}" is gone`);
    if (read.etag !== range.etag) {
      await read.body.cancel();
      throw new PermanentError(`log object "${range.key}" changed since the job started`);
    }
    await tallyRange(read.body, range, tally);
    return tally;
  },
  initial: emptyTally,
  reduce: mergeTallies,
  finalize: summarize,
});
