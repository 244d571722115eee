/** Bearer-token check, as Upstash does it: `Authorization: Bearer <token>` or the `_token` query parameter. */
import { createHash, timingSafeEqual } from "node:crypto";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * A checker for one token. Both sides are hashed to equal-length digests first, so the comparison
 * takes the same time whatever the length or content of the presented token.
 */
export function tokenChecker(token: string): (authorization: string | undefined, queryToken: string | null) => boolean {
  if (token === "") throw new Error("the REST server needs a non-empty token");
  const expected = digest(token);
  return (authorization, queryToken) => {
    let presented: string | null = null;
    if (authorization !== undefined && authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === "bearer ") {
      presented = authorization.slice(7).trim();
    } else if (queryToken !== null) {
      presented = queryToken;
    }
    if (presented === null) return false;
    return timingSafeEqual(digest(presented), expected);
  };
}
