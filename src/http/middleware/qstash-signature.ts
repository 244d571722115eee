/**
 * Only QStash may start a worker: POST /v1/work carries an Upstash-Signature JWT signed with the
 * current or the next signing key (both are accepted so that keys can be rotated without downtime).
 * The JWT binds the exact destination URL and the SHA-256 of the raw body, so the body is verified
 * as the bytes that arrived, before anything parses it. A verified signature must also carry an
 * expiry and a jti, and each jti is accepted once (src/security/replay.ts): a captured delivery sent
 * again is refused, while QStash's own retries (new signature, new jti) pass. The jti's replay mark
 * is set by the handler's first write, atomically with it (POST /v1/work's start script).
 */
import { Receiver } from "@upstash/qstash";
import { createMiddleware } from "hono/factory";
import { ProblemError } from "../problem";
import { replayMark } from "../../security/index";
import type { AppEnv } from "../types";

/** QStash's jti values are short; a longer one would only make a bigger Redis key. */
const MAX_JTI_LENGTH = 128;

function invalidSignature(detail: string): ProblemError {
  return new ProblemError({ status: 401, kind: "invalid-signature", title: "Invalid signature", detail });
}

/** A replayed delivery: what a handler that took the mark itself answers when it was set already. */
export function replayedDelivery(jti: string): ProblemError {
  return invalidSignature(`This signature (jti ${jti}) was used already: a replayed delivery`);
}

/**
 * Verifies the signature and leaves the jti's replay mark to the handler, in c.var.qstashDelivery:
 * the handler must set it (SET NX) before or atomically with its first change, and answer
 * replayedDelivery(jti) when it was set already.
 */
export const requireQStashSignature = createMiddleware<AppEnv>(async (c, next) => {
  const signature = c.req.header("upstash-signature");
  if (!signature) throw invalidSignature("The Upstash-Signature header is missing");
  const { QSTASH_CURRENT_SIGNING_KEY: currentSigningKey, QSTASH_NEXT_SIGNING_KEY: nextSigningKey } = c.env;
  if (!currentSigningKey || !nextSigningKey) {
    throw new ProblemError({
      status: 500,
      kind: "misconfigured",
      title: "Server misconfigured",
      detail: "QSTASH_CURRENT_SIGNING_KEY and QSTASH_NEXT_SIGNING_KEY must both be set",
    });
  }
  // devMode false: never fall back to the SDK's built-in development keys.
  const receiver = new Receiver({ currentSigningKey, nextSigningKey, devMode: false });
  // Hono caches the text, so the handler's later JSON parse reads these same bytes.
  const body = await c.req.text();
  try {
    await receiver.verify({ signature, body, url: c.req.url });
  } catch (error) {
    throw invalidSignature(`The signature does not verify: ${rejectionReason(signature, error)}`);
  }
  // Verified: these claims are QStash's own.
  const claims = unverifiedClaims(signature);
  const { jti, exp } = claims ?? {};
  if (typeof exp !== "number") throw invalidSignature("The signature has no expiry (exp), so it could be replayed forever");
  if (typeof jti !== "string" || jti === "" || jti.length > MAX_JTI_LENGTH) throw invalidSignature("The signature has no usable jti");
  const messageId = c.req.header("upstash-message-id") ?? "";
  c.set("qstashDelivery", { jti, replayMark: replayMark(c.var.clients.prefix, jti, messageId.slice(0, 128), exp * 1_000, Date.now()) });
  await next();
});

/**
 * The Receiver tries the current key, then the next, and reports only the second failure; for an
 * expired token signed with the current key that reads as a wrong key. The claims (read unverified,
 * for the message only) say what really happened.
 */
function rejectionReason(signature: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const claims = unverifiedClaims(signature);
  const now = Date.now() / 1_000;
  if (typeof claims?.exp === "number" && claims.exp < now) return `expired at ${new Date(claims.exp * 1_000).toISOString()}`;
  if (typeof claims?.nbf === "number" && claims.nbf > now) return `not valid before ${new Date(claims.nbf * 1_000).toISOString()}`;
  if (claims && claims.iss !== "Upstash") return `issued by ${JSON.stringify(claims.iss ?? null)}, not "Upstash"`;
  if (message === "signature verification failed") return "signed with neither the current nor the next signing key";
  return message;
}

function unverifiedClaims(jwt: string): Record<string, unknown> | null {
  const payload = jwt.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const claims: unknown = JSON.parse(json);
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
