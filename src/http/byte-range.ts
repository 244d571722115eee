/**
 * The Range header of a blob read (RFC 9110 §14): one `bytes=` range, resolved against the object's
 * size. Several ranges at once are served as the whole object, which the RFC allows.
 */

export type ByteRange = { offset: number; length: number };

/** null: serve the whole object; "unsatisfiable": 416; otherwise the bytes to serve. */
export function resolveRange(header: string | undefined, size: number): ByteRange | null | "unsatisfiable" {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return null;
  const [first, last] = [match[1]!, match[2]!];
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const offset = Number(first);
  if (offset >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < offset) return null;
  return { offset, length: end - offset + 1 };
}
