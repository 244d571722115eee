/**
 * Replay guard for QStash deliveries: each signature's jti is accepted once while the signature is
 * valid. QStash signs every delivery attempt anew (a retry of a message carries the same
 * Upstash-Message-Id but a new JWT with a new jti), so retries pass and only a captured request
 * sent again is refused. One SET NX PX per push: the mark lives as long as the signature could be
 * accepted, then expires by itself. The script that starts the push's invocation sets it
 * (TaskQueue.startInvocation), in the same request as its first claim; a fold push, which claims
 * nothing, sets it on its own (takeReplayMark).
 */
import type { Redis } from "@upstash/redis";
import type { ReplayMark } from "../queue/types";
import { securityKey } from "./keys";

export type { ReplayMark };

/** Clock skew allowed between QStash and the Worker when the signature's exp is checked. */
export const REPLAY_SKEW_MS = 60_000;

/** The mark of one jti: the key, its value (the message id, for forensics) and how long it must live. */
export function replayMark(prefix: string, jti: string, messageId: string, expiresAtMs: number, now: number): ReplayMark {
  const ttlMs = Math.max(1_000, Math.ceil(expiresAtMs - now + REPLAY_SKEW_MS));
  return { key: securityKey(prefix, "replay", jti), value: messageId || "-", ttlMs };
}


/** Sets the mark; false when it was set already (the delivery is a replay, refuse it). */
export async function takeReplayMark(redis: Pick<Redis, "set">, mark: ReplayMark): Promise<boolean> {
  return (await redis.set(mark.key, mark.value, { nx: true, px: mark.ttlMs })) !== null;
}
