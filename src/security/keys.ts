/** Redis keys of the security features, beside the queue core's under the same prefix. */
import { DEFAULT_PREFIX } from "../queue/index";

/** `edgeq:sec:<what>:<id>`: replay marks of push deliveries, rate-limit windows. */
export function securityKey(what: "replay" | "rate", id: string): string {
  return `${DEFAULT_PREFIX}:sec:${what}:${id}`;
}
