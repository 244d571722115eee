/**
 * The partitions a queue's next claim should hold, per process: the settle script names them (the
 * head of the ready index and of PRIO, scripts/pieces/claim.ts) and the next call sends their keys.
 * A stale hint costs nothing but idle keys in KEYS; a missing one makes a claim short, and the
 * caller claims again at once with the partitions the script named. A claim that found its batch in
 * the partition it started from names that one alone (it read no index): the partitions named before
 * stay in the hint behind it, so that the claim which drains it holds the next ones.
 */
const hints = new Map<string, string[]>();
/** Kept per queue: the script names at most 8 ready partitions, 8 prioritized and 8 delayed ones. */
const MAX_HINT = 24;

export function claimHint(prefix: string, queue: string): readonly string[] {
  return hints.get(`${prefix}\n${queue}`) ?? [];
}

/** The labels a reply named come first; those named before follow, the most recent first. */
export function rememberHint(prefix: string, queue: string, labels: readonly string[]): void {
  const before = claimHint(prefix, queue).filter((label) => !labels.includes(label));
  hints.set(`${prefix}\n${queue}`, [...labels, ...before].slice(0, MAX_HINT));
}

/**
 * An enqueue's partitions join the hint at its end (a short queue's next claim starts there). A full
 * hint makes room by its oldest entries behind the front, never the front: the partitions the last
 * claim named, where a deep queue's next claim starts. [issue 11] Dropping from the front (as
 * `slice(-MAX_HINT)` did) took the head partition out at every enqueue into a deep queue, so every
 * claim there stopped short and ran again: two script calls a claim at 1,000,000 queued.
 */
export function addToHint(prefix: string, queue: string, labels: Iterable<string>): void {
  const current = claimHint(prefix, queue);
  const added = [...labels].filter((label) => !current.includes(label)).slice(-MAX_HINT);
  if (added.length > 0) hints.set(`${prefix}\n${queue}`, [...current.slice(0, MAX_HINT - added.length), ...added]);
}

/** Claims run again at once in this process because the first stopped at a partition it lacked (tasks.ts), for the benchmarks. */
let reruns = 0;
export function countClaimRerun(): void {
  reruns++;
}
export function claimReruns(): number {
  return reruns;
}
