import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";

/** QStash's JWTs live five minutes. */
const lifetimeSeconds = 300;

/**
 * The Upstash-Signature of one delivery, made as QStash makes it: an HS256 JWT signed with the current
 * signing key, iss "Upstash", sub the destination URL, body the base64url SHA-256 of the body (padded,
 * as Go's URL encoding writes it), iat = nbf = now, exp five minutes later and a random jti.
 */
export async function signDelivery(signingKey: string, url: string, body: Uint8Array, nowMs = Date.now()): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const bodyHash = createHash("sha256").update(body).digest("base64url");
  const padded = bodyHash + "=".repeat((4 - (bodyHash.length % 4)) % 4);
  return new SignJWT({ body: padded })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(url)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + lifetimeSeconds)
    .setJti(`jwt_${randomBytes(16).toString("base64url")}`)
    .sign(new TextEncoder().encode(signingKey));
}
