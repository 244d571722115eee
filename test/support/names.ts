/** Names no other test uses; plain Web APIs, so Node tests and workerd tests share them. */

/** A queue name of its own: the label and 8 random hex digits (queue names are [a-z0-9_-]{1,64}). */
export function queueName(label = "q"): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}`;
}
