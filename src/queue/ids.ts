/**
 * Sortable task ids in the ULID layout: 10 Crockford base-32 characters of milliseconds, then 16 of
 * randomness. Within one process ids are monotonic (the random part is incremented inside the same
 * millisecond), so generated ids sort in creation order.
 */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

let lastTime = -1;
let lastRandom: number[] = [];

function randomDigits(): number[] {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b & 31);
}

function increment(digits: number[]): number[] {
  const next = digits.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]!++;
      return next;
    }
    next[i] = 0;
  }
  return randomDigits(); // 2^80 ids in one millisecond: never in practice
}

export function newTaskId(now: number): string {
  const time = Math.max(0, Math.floor(now));
  lastRandom = time === lastTime ? increment(lastRandom) : randomDigits();
  lastTime = Math.max(lastTime, time);
  return timeHead(time) + lastRandom.map((d) => ALPHABET[d]).join("");
}

function timeHead(time: number): string {
  let head = "";
  let t = time;
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[t % 32] + head;
    t = Math.floor(t / 32);
  }
  return head;
}

/**
 * [edge, issue 11] The partitions of the ids generated from `from` to `to` (ms), 32 ms apiece
 * (partitionOf's first rule): a claim holds those of the last moments, which other isolates'
 * enqueues filled without this isolate's claim hint knowing.
 */
export function generatedPartitions(from: number, to: number): string[] {
  const labels: string[] = [];
  for (let step = Math.floor(Math.max(0, from) / 32); step <= Math.floor(Math.max(0, to) / 32); step++) labels.push(timeHead(step * 32).slice(0, 9));
  return labels;
}

/** Caller-given ids: no `|`, `,` or spaces (they separate ids inside sweep entries), at most 128 characters. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/** A task id as the API gives it (`<queue>~<local>`), or a local id alone (a caller's, or a task stored before partitions). */
export const TASK_REF_PATTERN = /^(?:[a-z0-9_-]{1,64}~)?[A-Za-z0-9_.:-]{1,128}$/;

/**
 * A task's id names its queue: `<queue>~<local>`, where `<local>` is a generated id or the caller's
 * (TASK_ID_PATTERN). Neither queue names nor local ids contain `~`, so the split is unambiguous, and
 * a read or cancel by id finds the queue's keys without an index. Scripts and stored structures hold
 * local ids only: the keys already name the queue and the partition.
 */
export const QUEUE_ID_SEPARATOR = "~";

export function taskIdOf(queue: string, local: string): string {
  return `${queue}${QUEUE_ID_SEPARATOR}${local}`;
}

/** The queue and local id of a task id; null for an id without a queue (a task stored before partitions). */
export function splitTaskId(id: string): { queue: string; local: string } | null {
  const at = id.indexOf(QUEUE_ID_SEPARATOR);
  if (at < 0) return null;
  return { queue: id.slice(0, at), local: id.slice(at + 1) };
}

const ULID_LIKE = /^[A-Za-z0-9]{26}$/;
const TRAILING_DIGITS = /^(.*?)(\d+)$/;
/** Partitions of ids that are neither ULIDs nor numbered. */
export const HASHED_PARTITIONS = 1024;

/**
 * The partition of a local id: the records hash (and ready list) that holds it. The same rule runs in
 * Lua (scripts/pieces/partitions.ts) on pure string operations, so both sides agree:
 *  1. a ULID (26 alphanumerics, any case): its first 9 characters, the creation time in 32 ms steps,
 *     so a batch minted at one `now` shares one partition and a burst of 100k tasks/s puts ~3k in one;
 *  2. an id ending in digits: `<stem>#<digits but the last two>`, 100 consecutive numbers per
 *     partition (a job's map tasks `<job>-<index>`);
 *  3. any other: `%<hash mod 1024>`.
 * None grows with the number of tasks alive beyond what one 32 ms step, 100 numbers or 1/1024th of
 * the other ids hold.
 */
export function partitionOf(local: string): string {
  if (ULID_LIKE.test(local)) return local.slice(0, 9);
  const numbered = TRAILING_DIGITS.exec(local);
  if (numbered) return `${numbered[1]}#${numbered[2]!.slice(0, -2)}`;
  return hashedPartitionOf(local);
}

const utf8 = new TextEncoder();

/** Rule 3 of partitionOf over any string's UTF-8 bytes (as Lua sees them): `%<hash mod partitions>`. */
export function hashedPartitionOf(value: string, partitions = HASHED_PARTITIONS): string {
  let h = 0;
  for (const byte of utf8.encode(value)) h = (h * 31 + byte) % 1000003;
  return `%${h % partitions}`;
}

/**
 * Partitions of dedup keys that are neither ULIDs nor numbered (random keys, UUIDs): fewer than for
 * ids, so that a batch of 100 random keys reads and writes about 69 hashes, not 95 (one HMGET and one
 * HSET each), while 10,000,000 keys alive within the window still leave each under 80,000 entries
 * (about 8 MB, under issue 13's 16 MB).
 */
export const DEDUP_HASHED_PARTITIONS = 128;

/**
 * The partition whose records hash holds a dedup key's entry (field `=<dedupKey>`, scripts/enqueue.ts):
 * partitionOf's rules over the key's UTF-8 bytes (Lua's partOf(key, true)), numbered keys without other
 * digits and the hashed rule over DEDUP_HASHED_PARTITIONS, so no hash grows with
 * the dedup keys of a queue, the caller, who knows the key, declares the partition, and keys minted
 * together (ULIDs) or numbered (`order-1041`) share few partitions: a batch of them costs a few
 * commands, as one dedup hash did. Other keys spread over DEDUP_HASHED_PARTITIONS, a command or two each.
 */
export function dedupPartitionOf(dedupKey: string): string {
  if (ULID_LIKE.test(dedupKey)) return dedupKey.slice(0, 9);
  // numbered only when no digit precedes the last ones (`order-1041`, not a UUID, whose hex digits
  // would give each key a partition of its own); newlines count as other characters, as in Lua
  const numbered = /^(\D*)(\d+)$/.exec(dedupKey);
  if (numbered) return `${numbered[1]}#${numbered[2]!.slice(0, -2)}`;
  return hashedPartitionOf(dedupKey, DEDUP_HASHED_PARTITIONS);
}

/**
 * Where an enqueue whose first dedup key is not hashed (a ULID, a numbered key) lists its keys for
 * their expiry: the hashed dedup partition of the second `now` falls in (scripts/enqueue.ts), so that
 * dedup-expiry lists live in DEDUP_HASHED_PARTITIONS partitions whatever the keys. The caller declares it.
 */
export function dedupSweepHome(now: number): string {
  return `%${Math.floor(now / 1000) % DEDUP_HASHED_PARTITIONS}`;
}
