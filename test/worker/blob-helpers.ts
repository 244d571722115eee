/** Calling the blob routes with raw bodies (call() in helpers.ts speaks JSON only). */
import { env, exports } from "cloudflare:workers";
import { emptyTally, mergeTallies, tallyObject } from "../../functions/log-lines";
import { summarize } from "../../functions/log-stats";
import { ORIGIN } from "./helpers";
import { TEST_TOKENS } from "./fixtures";

export interface RawCall {
  token?: keyof typeof TEST_TOKENS;
  body?: BodyInit | null;
  headers?: Record<string, string>;
}

export function raw(method: string, path: string, options: RawCall = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  headers.set("authorization", `Bearer ${TEST_TOKENS[options.token ?? "admin"]}`);
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body: options.body ?? null }));
}

/** Deterministic bytes (xorshift), so that a test's data is the same on every run. */
export function seededBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A blob folder no other test file uses. */
export function randomFolder(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}`;
}

/** log-stats' single-process pass: every object under the prefix read whole, in this one process. */
export async function singlePass(prefix: string): Promise<ReturnType<typeof summarize>> {
  const tally = emptyTally();
  const listed = await env.BLOBS!.list({ prefix });
  for (const object of listed.objects) {
    const read = await env.BLOBS!.get(object.key);
    if (!read || !("body" in read)) throw new Error(`${object.key} vanished`);
    mergeTallies(tally, await tallyObject(read.body, object.size));
  }
  return summarize(tally);
}
