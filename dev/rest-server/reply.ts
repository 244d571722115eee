/**
 * Turns raw Redis replies (as ioredis hands them over with no reply encoding: Buffers, integers, nulls,
 * nested arrays, ReplyErrors inside EXEC results) into the JSON text Upstash's REST API returns.
 *
 * The JSON is written by hand rather than built as objects and stringified: base64 text never needs
 * escaping, and skipping the intermediate objects keeps the per-request cost low.
 */

/** A reply as it comes off the wire with `replyEncoding` unset. */
export type RawReply = Buffer | string | number | null | undefined | Error | RawReply[];

export interface ReplyEncoding {
  /** `Upstash-Encoding: base64`: every string in the reply is base64, except the status "OK". */
  base64: boolean;
}

/** Redis answered with an error reply (as opposed to the connection failing). */
export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === "ReplyError";
}

const OK = 0x4f4b; // "OK" as two big-endian bytes

/** Upstash leaves "OK" readable even in base64 mode; @upstash/redis's decoder relies on it. */
function isOk(buffer: Buffer): boolean {
  return buffer.length === 2 && buffer.readUInt16BE(0) === OK;
}

function encodeString(text: Buffer | string, base64: boolean): string {
  if (typeof text === "string") {
    if (!base64 || text === "OK") return JSON.stringify(text);
    return `"${Buffer.from(text).toString("base64")}"`;
  }
  if (!base64) return JSON.stringify(text.toString("utf8")); // invalid UTF-8 becomes U+FFFD, as on Upstash
  return isOk(text) ? '"OK"' : `"${text.toString("base64")}"`;
}

/** JSON text of one reply value (the part after `"result":`). */
export function encodeValue(reply: RawReply, base64: boolean): string {
  if (reply === null || reply === undefined) return "null";
  if (typeof reply === "number") return Number.isFinite(reply) ? String(reply) : "null";
  if (Array.isArray(reply)) {
    if (reply.length === 0) return "[]";
    let out = "[" + encodeValue(reply[0], base64);
    for (let i = 1; i < reply.length; i++) out += "," + encodeValue(reply[i], base64);
    return out + "]";
  }
  // An error nested below the top level (a Lua table holding an error reply) has no {error} slot in
  // Upstash's shape; its message travels as a string.
  if (reply instanceof Error) return encodeString(reply.message, base64);
  return encodeString(reply, base64);
}

/** `{"result":…}` or, for an error reply, `{"error":"…"}` (errors are never base64-encoded). */
export function encodeEntry(reply: RawReply, base64: boolean): string {
  if (reply instanceof Error) return encodeError(reply.message);
  return `{"result":${encodeValue(reply, base64)}}`;
}

export function encodeError(message: string): string {
  return `{"error":${JSON.stringify(message)}}`;
}

/** A pipeline or transaction reply: an array with one entry per command, errors in place. */
export function encodeEntries(replies: readonly RawReply[], base64: boolean): string {
  if (replies.length === 0) return "[]";
  let out = "[" + encodeEntry(replies[0], base64);
  for (let i = 1; i < replies.length; i++) out += "," + encodeEntry(replies[i], base64);
  return out + "]";
}
