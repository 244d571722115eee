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
  let head = "";
  let t = time;
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[t % 32] + head;
    t = Math.floor(t / 32);
  }
  return head + lastRandom.map((d) => ALPHABET[d]).join("");
}

/** Caller-given ids: no `|`, `,` or spaces (they separate ids inside sweep entries), at most 128 characters. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
