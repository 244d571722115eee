/**
 * API tokens and their scopes, read from the EDGEQ_TOKENS secret.
 *
 * Format: entries separated by `;` or `,` (whitespace and newlines around them are ignored), each
 * `TOKEN:SCOPE[+SCOPE...][@QUEUE[|QUEUE...]]` with scopes `enqueue`, `read` and `admin` (admin
 * implies the others):
 *   EDGEQ_TOKENS="k8Jq...:admin; ci-7f2...:enqueue+read; rp-91c...:enqueue+read@reports-*|billing"
 * Without `@`, a token reaches every queue. With `@`, it reaches only the queues named, where a
 * name may end in `*` to match every queue with that prefix; see .github/SECURITY.md for what a
 * queue-restricted token can and cannot do.
 * Several tokens may hold the same scopes, which is how a token is rotated: add the new one, move
 * clients over, remove the old one.
 */
import { QUEUE_NAME_PATTERN } from "../queue/index";

export const SCOPES = ["enqueue", "read", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** Which queues a token reaches: every one, or those its patterns match. */
export type QueueAccess = { all: true } | { all: false; exact: ReadonlySet<string>; prefixes: readonly string[] };

export const ALL_QUEUES: QueueAccess = { all: true };

export interface TokenEntry {
  /** SHA-256 of the token: comparing fixed-length digests keeps the comparison constant-time. */
  digest: Uint8Array;
  scopes: ReadonlySet<Scope>;
  queues: QueueAccess;
  /** A name for the token that reveals nothing of it (rate-limit keys, logs): a prefix of its digest, stable when entries move. */
  id: string;
}

export class TokenConfigError extends Error {}

const MIN_TOKEN_LENGTH = 16;
/** A queue pattern: a queue name, or a prefix of one followed by `*`. */
const QUEUE_PATTERN = /^[a-z0-9_-]{0,64}\*$/;

export async function parseTokens(secret: string): Promise<TokenEntry[]> {
  const entries = secret.split(/[;,]/).map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) throw new TokenConfigError("EDGEQ_TOKENS holds no token");
  return Promise.all(
    entries.map(async (entry, index) => {
      const where = `EDGEQ_TOKENS entry ${index + 1}`;
      const colon = entry.lastIndexOf(":");
      const token = entry.slice(0, colon).trim();
      const [scopeText = "", queueText] = entry.slice(colon + 1).split("@").map((part) => part.trim());
      if (colon < 0 || token === "" || scopeText === "") {
        throw new TokenConfigError(`${where} is not TOKEN:SCOPE[+SCOPE][@QUEUE[|QUEUE]]`);
      }
      if (token.length < MIN_TOKEN_LENGTH) {
        throw new TokenConfigError(`${where}: tokens need at least ${MIN_TOKEN_LENGTH} characters`);
      }
      const scopes = new Set<Scope>();
      for (const name of scopeText.split("+").map((s) => s.trim())) {
        if (!(SCOPES as readonly string[]).includes(name)) {
          throw new TokenConfigError(`${where}: unknown scope "${name}" (use ${SCOPES.join(", ")})`);
        }
        scopes.add(name as Scope);
      }
      const digest = await sha256(token);
      return { digest, scopes, queues: queueText === undefined ? ALL_QUEUES : parseQueues(queueText, where), id: hex(digest).slice(0, 16) };
    }),
  );
}

function parseQueues(text: string, where: string): QueueAccess {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of text.split("|").map((p) => p.trim())) {
    if (QUEUE_PATTERN.test(pattern)) prefixes.push(pattern.slice(0, -1));
    else if (QUEUE_NAME_PATTERN.test(pattern)) exact.add(pattern);
    else throw new TokenConfigError(`${where}: "${pattern}" is neither a queue name nor a prefix ending in *`);
  }
  // "@*" is every queue, said the long way.
  if (prefixes.includes("")) return ALL_QUEUES;
  return { all: false, exact, prefixes };
}

export function reachesQueue(access: QueueAccess, queue: string): boolean {
  return access.all || access.exact.has(queue) || access.prefixes.some((prefix) => queue.startsWith(prefix));
}

/**
 * [edge, issue 11] The last token that matched, per isolate and token list: a client sends the same
 * token with every request, and its next one then costs a comparison instead of a SHA-256
 * (crypto.subtle.digest took ~12% of the Worker's CPU samples per single enqueue, bench/profile.ts).
 */
let lastMatch: { tokens: readonly TokenEntry[]; presented: Uint8Array; entry: TokenEntry } | undefined;
const utf8 = new TextEncoder();

/** The entry of the presented token, or null when no configured token matches. */
export async function tokenOf(presented: string, tokens: readonly TokenEntry[]): Promise<TokenEntry | null> {
  const bytes = utf8.encode(presented);
  if (lastMatch?.tokens === tokens && bytesEqual(bytes, lastMatch.presented)) return lastMatch.entry;
  const digest = await sha256(presented);
  let found: TokenEntry | null = null;
  // Every entry is compared, matched or not, so timing says nothing about which entry matched.
  for (const entry of tokens) {
    if (digestsEqual(digest, entry.digest)) found = entry;
  }
  if (found) lastMatch = { tokens, presented: bytes, entry: found };
  return found;
}

/** Constant-time in the presented length (the caller's own): every byte is compared, matched or not. */
export function bytesEqual(presented: Uint8Array, known: Uint8Array): boolean {
  let difference = presented.length ^ known.length;
  for (let i = 0; i < presented.length; i++) difference |= (presented[i] ?? 0) ^ (known[i % known.length] ?? 0);
  return difference === 0;
}

/** The scopes of the presented token, or null when no configured token matches. */
export async function scopesOf(presented: string, tokens: readonly TokenEntry[]): Promise<ReadonlySet<Scope> | null> {
  return (await tokenOf(presented, tokens))?.scopes ?? null;
}

export function hasScope(scopes: ReadonlySet<Scope>, needed: Scope): boolean {
  return scopes.has("admin") || scopes.has(needed);
}

/** Constant-time for equal lengths; digests always are (SHA-256). */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
