/**
 * The partitions a queue's next claim should hold, per process: the settle script names them (the
 * head of the ready index and of PRIO, scripts/pieces/claim.ts) and the next call sends their keys.
 * A stale hint costs nothing but idle keys in KEYS; a missing one makes a claim short, and the
 * caller claims again at once with the partitions the script named.
 */
const hints = new Map<string, string[]>();
/** Kept per queue: the script names at most 8 ready partitions and the partitions of a PRIO batch. */
const MAX_HINT = 64;

export function claimHint(prefix: string, queue: string): readonly string[] {
  return hints.get(`${prefix}\n${queue}`) ?? [];
}

export function rememberHint(prefix: string, queue: string, labels: readonly string[]): void {
  hints.set(`${prefix}\n${queue}`, labels.slice(0, MAX_HINT));
}

/** An enqueue's partitions join the hint (a short queue's next claim starts there), the oldest first. */
export function addToHint(prefix: string, queue: string, labels: Iterable<string>): void {
  const current = claimHint(prefix, queue);
  const added = [...labels].filter((label) => !current.includes(label));
  if (added.length > 0) rememberHint(prefix, queue, [...current, ...added].slice(-MAX_HINT));
}
