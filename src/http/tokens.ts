/**
 * API tokens and their scopes, read from the EDGEQ_TOKENS secret.
 *
 * Format: entries separated by `;` or `,` (whitespace and newlines around them are ignored), each
 * `TOKEN:SCOPE[+SCOPE...]` with scopes `enqueue`, `read` and `admin` (admin implies the others):
 *   EDGEQ_TOKENS="k8Jq...:admin; ci-7f2...:enqueue+read"
 * Several tokens may hold the same scopes, which is how a token is rotated: add the new one, move
 * clients over, remove the old one.
 */

export const SCOPES = ["enqueue", "read", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenEntry {
  /** SHA-256 of the token: comparing fixed-length digests keeps the comparison constant-time. */
  digest: Uint8Array;
  scopes: ReadonlySet<Scope>;
}

export class TokenConfigError extends Error {}

const MIN_TOKEN_LENGTH = 16;

export async function parseTokens(secret: string): Promise<TokenEntry[]> {
  const entries = secret.split(/[;,]/).map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) throw new TokenConfigError("EDGEQ_TOKENS holds no token");
  return Promise.all(
    entries.map(async (entry, index) => {
      const colon = entry.lastIndexOf(":");
      const token = entry.slice(0, colon).trim();
      const scopeText = entry.slice(colon + 1).trim();
      if (colon < 0 || token === "" || scopeText === "") {
        throw new TokenConfigError(`EDGEQ_TOKENS entry ${index + 1} is not TOKEN:SCOPE[+SCOPE]`);
      }
      if (token.length < MIN_TOKEN_LENGTH) {
        throw new TokenConfigError(`EDGEQ_TOKENS entry ${index + 1}: tokens need at least ${MIN_TOKEN_LENGTH} characters`);
      }
      const scopes = new Set<Scope>();
      for (const name of scopeText.split("+").map((s) => s.trim())) {
        if (!(SCOPES as readonly string[]).includes(name)) {
          throw new TokenConfigError(`EDGEQ_TOKENS entry ${index + 1}: unknown scope "${name}" (use ${SCOPES.join(", ")})`);
        }
        scopes.add(name as Scope);
      }
      return { digest: await sha256(token), scopes };
    }),
  );
}

/** The scopes of the presented token, or null when no configured token matches. */
export async function scopesOf(presented: string, tokens: readonly TokenEntry[]): Promise<ReadonlySet<Scope> | null> {
  const digest = await sha256(presented);
  let found: ReadonlySet<Scope> | null = null;
  // Every entry is compared, matched or not, so timing says nothing about which entry matched.
  for (const entry of tokens) {
    if (digestsEqual(digest, entry.digest)) found = entry.scopes;
  }
  return found;
}

export function hasScope(scopes: ReadonlySet<Scope>, needed: Scope): boolean {
  return scopes.has("admin") || scopes.has(needed);
}

function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
