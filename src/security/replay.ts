/**
 * Replay guard for QStash deliveries: each signature's jti is accepted once while the signature is
 * valid. QStash signs every delivery attempt anew (a retry of a message carries the same
 * Upstash-Message-Id but a new JWT with a new jti), so retries pass and only a captured request
 * sent again is refused. One SET NX PX per push: the mark lives as long as the signature could be
 * accepted, then expires by itself.
 */
import type { Redis } from "@upstash/redis";
import { securityKey } from "./keys";

export type ReplayRedis = Pick<Redis, "set">;

/** Clock skew allowed between QStash and the Worker when the signature's exp is checked. */
export const REPLAY_SKEW_MS = 60_000;

/** True when this jti is seen for the first time; false for a replay. */
export async function markDelivery(redis: ReplayRedis, jti: string, messageId: string, expiresAtMs: number, now: number): Promise<boolean> {
  const lifetime = Math.max(1_000, Math.ceil(expiresAtMs - now + REPLAY_SKEW_MS));
  const reply = await redis.set(securityKey("replay", jti), messageId || "-", { nx: true, px: lifetime });
  return reply !== null;
}
