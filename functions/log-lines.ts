/**
 * Access-log lines and their tally, shared by the log-stats job's map tasks and the single-process
 * pass it is checked against. A line is `<ISO-8601 time> <method> <path> <status> <response
 * bytes> <duration ms>`, single spaces between; any other line is counted as malformed. A line
 * belongs to the byte range its first byte is in, so ranges cut anywhere tally every line once.
 */
import { addToSketch, emptySketch, mergeSketches, type Sketch } from "./quantile-sketch";

/** A longer line is malformed: a range reads at most this far past its end to finish its last line. */
export const MAX_LINE_BYTES = 16 * 1024;

export interface LogTally {
  files: number;
  lines: number;
  malformed: number;
  bytesRead: number;
  responseBytes: number;
  status: Record<string, number>;
  paths: Record<string, number>;
  durations: Sketch;
}

export const emptyTally = (): LogTally => ({ files: 0, lines: 0, malformed: 0, bytesRead: 0, responseBytes: 0, status: {}, paths: {}, durations: emptySketch() });

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const METHOD = /^[A-Z]{1,16}$/;
const STATUS = /^[1-5]\d\d$/;
const DIGITS = /^\d{1,15}$/;
const DURATION = /^\d{1,9}(\.\d{1,6})?$/;
const decoder = new TextDecoder();

function addLine(tally: LogTally, bytes: Uint8Array | null): void {
  tally.lines++;
  if (bytes === null) {
    tally.malformed++;
    return;
  }
  let text = decoder.decode(bytes);
  if (text.endsWith("\r")) text = text.slice(0, -1);
  const [time = "", method = "", path = "", status = "", size = "", duration = "", extra] = text.split(" ");
  if (extra !== undefined || !TIME.test(time) || !METHOD.test(method) || !path.startsWith("/") || !STATUS.test(status) || !DIGITS.test(size) || !DURATION.test(duration)) {
    tally.malformed++;
    return;
  }
  tally.status[status] = (tally.status[status] ?? 0) + 1;
  // Paths start with "/", so no path is an Object.prototype key.
  tally.paths[path] = (tally.paths[path] ?? 0) + 1;
  tally.responseBytes += Number(size);
  addToSketch(tally.durations, Number(duration));
}

function joined(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Tallies the lines that start in [offset, offset + length) of one object. `body` streams the
 * object from `offset - 1` (from 0 when offset is 0), at least to MAX_LINE_BYTES past the range;
 * the byte before the range tells whether a line starts at its first byte. Stops reading (and
 * cancels the stream) once the range's last line is complete.
 */
export async function tallyRange(body: ReadableStream<Uint8Array>, range: { offset: number; length: number }, tally: LogTally): Promise<void> {
  const end = range.offset + range.length;
  let position = range.offset === 0 ? 0 : range.offset - 1;
  let skipping = range.offset > 0;
  let carry: Uint8Array[] = [];
  let carried = 0;
  let tooLong = false;
  const reader = body.getReader();
  try {
    for (let step = await reader.read(); !step.done; step = await reader.read()) {
      const chunk = step.value;
      let i = 0;
      while (i < chunk.length) {
        const newline = chunk.indexOf(10, i);
        const stop = newline < 0 ? chunk.length : newline;
        if (!skipping && !tooLong) {
          carried += stop - i;
          if (carried > MAX_LINE_BYTES) [tooLong, carry] = [true, []];
          else carry.push(chunk.subarray(i, stop));
        }
        position += stop - i;
        i = stop;
        if (newline < 0) break;
        if (!skipping) addLine(tally, tooLong ? null : joined(carry, carried));
        [skipping, carry, carried, tooLong] = [false, [], 0, false];
        position++;
        i++;
        // The next line starts at `position`: past the range, it is the next range's.
        if (position >= end) return;
      }
    }
    if (!skipping && (carried > 0 || tooLong)) addLine(tally, tooLong ? null : joined(carry, carried));
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** One whole object in one pass: the single-process answer the job's ranges must agree with. */
export async function tallyObject(body: ReadableStream<Uint8Array>, size: number): Promise<LogTally> {
  const tally = { ...emptyTally(), files: 1, bytesRead: size };
  if (size > 0) await tallyRange(body, { offset: 0, length: size }, tally);
  else await body.cancel();
  return tally;
}

export function mergeTallies(into: LogTally, from: LogTally): LogTally {
  into.files += from.files;
  into.lines += from.lines;
  into.malformed += from.malformed;
  into.bytesRead += from.bytesRead;
  into.responseBytes += from.responseBytes;
  for (const [code, n] of Object.entries(from.status)) into.status[code] = (into.status[code] ?? 0) + n;
  for (const [path, n] of Object.entries(from.paths)) into.paths[path] = (into.paths[path] ?? 0) + n;
  mergeSketches(into.durations, from.durations);
  return into;
}
