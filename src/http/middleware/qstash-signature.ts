/**
 * Only QStash may start a worker: POST /v1/work carries an Upstash-Signature JWT signed with the
 * current or the next signing key (both are accepted so that keys can be rotated without downtime).
 * The JWT binds the exact destination URL and the SHA-256 of the raw body, so the body is verified
 * as the bytes that arrived, before anything parses it.
 */
import { Receiver } from "@upstash/qstash";
import { createMiddleware } from "hono/factory";
import { ProblemError } from "../problem";
import type { AppEnv } from "../types";

function invalidSignature(detail: string): ProblemError {
  return new ProblemError({ status: 401, kind: "invalid-signature", title: "Invalid signature", detail });
}

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
    throw invalidSignature(`The signature does not verify: ${error instanceof Error ? error.message : String(error)}`);
  }
  await next();
});
