/**
 * Seeded access logs for the log-stats job: the same seed and size give the same bytes on every
 * machine. Lines follow the job's format; about one in a thousand is malformed on purpose, and a
 * few paths hold UTF-8 beyond ASCII so that range cuts land inside multi-byte characters too.
 */
import { mixSeed, seededRandom } from "../functions/seeded-random";

const encoder = new TextEncoder();
const METHODS = ["GET", "GET", "GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"];
const STATUSES = ["200", "200", "200", "200", "200", "200", "200", "304", "301", "404", "404", "500", "503"];
const SECTIONS = ["api", "static", "users", "orders", "search", "café", "données"];
const MALFORMED = ["garbage", "", "2026-13-01 GET /x 200 1 1", "GET /only three", "2026-12-07T00:00:00Z GET /a 200 12 5 extra"];

function paths(seed: number): string[] {
  const random = seededRandom(mixSeed(seed, 1));
  return Array.from({ length: 300 }, (_, i) => `/${SECTIONS[i % SECTIONS.length]}/${Math.floor(random() * 1e6).toString(36)}`);
}

/** One file's text, `bytes` long at least (whole lines), as chunks of about 64 KiB. */
export function* logText(seed: number, file: number, bytes: number): Generator<string> {
  const random = seededRandom(mixSeed(seed, file, 2));
  const pool = paths(seed);
  let time = Date.UTC(2026, 11, 7) + file * 86_400_000;
  let written = 0;
  let chunk = "";
  while (written < bytes) {
    let line: string;
    if (random() < 0.001) line = MALFORMED[Math.floor(random() * MALFORMED.length)]!;
    else {
      time += Math.floor(random() * 50);
      // Zipf-like: low indexes far more often, so the top paths are clear.
      const path = pool[Math.floor(pool.length * random() ** 3)]!;
      const duration = Math.round(Math.exp(random() * 7) * 10) / 10;
      const size = Math.floor(random() ** 2 * 200_000);
      line = `${new Date(time).toISOString()} ${METHODS[Math.floor(random() * METHODS.length)]} ${path} ${STATUSES[Math.floor(random() * STATUSES.length)]} ${size} ${duration}`;
    }
    chunk += `${line}\n`;
    written += encoder.encode(line).length + 1;
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

export function logFileText(seed: number, file: number, bytes: number): string {
  return [...logText(seed, file, bytes)].join("");
}
