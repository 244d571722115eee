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

/** The mark of one jti: the key, its value (the message id, for forensics) and how long it must live. */
export interface ReplayMark {
  key: string;
  value: string;
  ttlMs: number;
}

export function replayMark(jti: string, messageId: string, expiresAtMs: number, now: number): ReplayMark {
  const ttlMs = Math.max(1_000, Math.ceil(expiresAtMs - now + REPLAY_SKEW_MS));
  return { key: securityKey("replay", jti), value: messageId || "-", ttlMs };
}

/**
 * True when this jti is seen for the first time; false for a replay. (POST /v1/work sets the same
 * mark with SET NX PX inside its start script instead, saving the push a round trip.)
 */
export async function markDelivery(redis: ReplayRedis, jti: string, messageId: string, expiresAtMs: number, now: number): Promise<boolean> {
  const mark = replayMark(jti, messageId, expiresAtMs, now);
  const reply = await redis.set(mark.key, mark.value, { nx: true, px: mark.ttlMs });
  return reply !== null;
}
