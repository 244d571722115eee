/**
 * Blob keys: `/`-separated segments, so that prefixes act as folders. The rules keep keys portable
 * (R2, file systems, URLs without escaping) and close traversal: no empty, `.` or `..` segment.
 */

export const MAX_KEY_LENGTH = 512;
/** A segment's characters: what a URL path and a file name both carry without escaping. */
const SEGMENT = /^[A-Za-z0-9_.=+@,-]+$/;
/** `…/{key}/uploads/{uploadId}/{part}` addresses a multipart upload, so no key holds this segment. */
export const UPLOADS_SEGMENT = "uploads";

/** Why `key` is refused, or null when it is a valid blob key. */
export function blobKeyProblem(key: string): string | null {
  if (key.length === 0) return "is empty";
  if (key.length > MAX_KEY_LENGTH) return `is ${key.length} characters; the limit is ${MAX_KEY_LENGTH}`;
  const segments = key.split("/");
  for (const segment of segments) {
    if (segment === "") return "has an empty segment (a leading, trailing or doubled /)";
    if (segment === "." || segment === "..") return `has a "${segment}" segment; keys cannot traverse`;
    if (segment === UPLOADS_SEGMENT) return `has an "${UPLOADS_SEGMENT}" segment, reserved for multipart uploads`;
    if (!SEGMENT.test(segment)) return `segment "${segment}" holds a character outside A-Z a-z 0-9 _ . = + @ , -`;
  }
  return null;
}

/** A list prefix is a key, or the start of one: it may end in `/` (a folder) or be empty. */
export function blobPrefixProblem(prefix: string): string | null {
  if (prefix === "") return null;
  return blobKeyProblem(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
}

/** The first segment: where a queue-restricted token's reach is checked (see src/http/routes/blobs.ts). */
export function topSegment(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? key : key.slice(0, slash);
}

/** What edgeq's own blobs' names start with: outside the key alphabet, so no API caller can read, overwrite or delete them by key. */
export const INTERNAL_KEY_MARK = "~";
/** Where task inputs and results too large for Redis live (src/blobs/payloads.ts). */
export const INTERNAL_BLOB_PREFIX = `${INTERNAL_KEY_MARK}payloads/`;
