/**
 * The security folder's door: encryption at rest (cipher.ts, sealed-stores.ts), the replay mark of
 * QStash deliveries (replay.ts) and the per-token enqueue rate (rate-limit.ts). Used by the runtime
 * and the HTTP layer; it imports only the queue core.
 */
export {
  createPayloadCipher,
  isSealed,
  openPayload,
  openPayloadText,
  openTaskRecord,
  type PayloadCipher,
  PayloadKeyError,
  payloadCipher,
  SEALED_TEXT_PREFIX,
  sealedCapacity,
} from "./cipher";
export { parseRateLimit, type RateLimit, takeRate } from "./rate-limit";
export { type ReplayMark, replayMark, takeReplayMark } from "./replay";
export { sealingJobs, sealingTasks } from "./sealed-stores";
export { checkCallback } from "./callback-hosts";
