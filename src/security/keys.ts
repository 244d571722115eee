/** Redis keys of the security features, beside the queue core's under the same prefix. */

/** `<prefix>:sec:<what>:<id>` (prefix "edgeq" unless EDGEQ_KEY_PREFIX says otherwise): replay marks of push deliveries, rate-limit windows. */
export function securityKey(prefix: string, what: "replay" | "rate", id: string): string {
  return `${prefix}:sec:${what}:${id}`;
}
