/**
 * `ctx.blobs`: what a task function sees of the R2 bucket. Streams in and out (a map task reads its
 * byte range without holding the object), keys checked as the HTTP API checks them.
 */
import type { BlobBucket, BlobObject, BlobValue } from "./bucket";
import { blobKeyProblem, blobPrefixProblem } from "./keys";
import type { BlobInfo } from "../wire/index";

export type { BlobBucket } from "./bucket";
export type { BlobInfo } from "../wire/index";

export interface BlobRange {
  offset: number;
  /** Bytes from offset; to the end of the object when omitted. */
  length?: number;
}

export interface BlobRead extends BlobInfo {
  body: ReadableStream<Uint8Array>;
  /** The bytes the body holds: the range asked for, clipped to the object. */
  range: { offset: number; length: number };
}

export interface BlobStore {
  get(key: string, options?: { range?: BlobRange }): Promise<BlobRead | null>;
  put(key: string, body: BlobValue): Promise<BlobInfo>;
  /** Every blob under `prefix`, page by page as it is iterated. */
  list(prefix: string): AsyncIterable<BlobInfo>;
  delete(key: string): Promise<void>;
}

/** ctx.blobs where the Worker has no BLOBS binding: every use says why it cannot work. */
export const NO_BLOBS: BlobStore = {
  get: missingBucket,
  put: missingBucket,
  list: missingBucket,
  delete: missingBucket,
};

function missingBucket(): never {
  throw new Error("ctx.blobs needs an R2 bucket bound as BLOBS (wrangler.toml; see the README's Data in R2 section)");
}

export class BlobKeyError extends TypeError {
  override readonly name = "BlobKeyError";
}

function checked(key: string): string {
  const problem = blobKeyProblem(key);
  if (problem) throw new BlobKeyError(`blob key "${key}" ${problem}`);
  return key;
}

export function blobInfo(object: BlobObject): BlobInfo {
  return { key: object.key, size: object.size, etag: object.etag, uploaded: object.uploaded.getTime() };
}

/** The range an R2 read answered with, as offset and length. */
export function servedRange(object: BlobObject, asked: BlobRange | undefined): { offset: number; length: number } {
  const range = object.range;
  if (!range || !asked) return { offset: 0, length: object.size };
  const offset = Math.min(range.offset ?? asked.offset, object.size);
  return { offset, length: Math.min(range.length ?? object.size - offset, object.size - offset) };
}

export async function* listBlobs(bucket: Pick<BlobBucket, "list">, prefix: string): AsyncGenerator<BlobInfo> {
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const object of page.objects) yield blobInfo(object);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

export function blobStore(bucket: BlobBucket): BlobStore {
  return {
    async get(key, options = {}) {
      const range = options.range;
      if (range && (!Number.isInteger(range.offset) || range.offset < 0 || (range.length !== undefined && !(Number.isInteger(range.length) && range.length > 0)))) {
        throw new RangeError(`blob range {offset: ${range.offset}, length: ${range.length}} is not whole non-negative bytes`);
      }
      const head = range ? await bucket.head(checked(key)) : null;
      // R2 refuses a range that starts at or past the end; an empty read is the honest answer.
      if (range && head && range.offset >= head.size) {
        return { ...blobInfo(head), body: new Blob([]).stream(), range: { offset: head.size, length: 0 } };
      }
      const object = await bucket.get(checked(key), range ? { range } : {});
      if (!object || !("body" in object)) return null;
      return { ...blobInfo(object), body: object.body, range: servedRange(object, range) };
    },
    async put(key, body) {
      // Without onlyIf, R2 answers every put with the stored object.
      return blobInfo((await bucket.put(checked(key), body))!);
    },
    list(prefix) {
      const problem = blobPrefixProblem(prefix);
      if (problem) throw new BlobKeyError(`blob prefix "${prefix}" ${problem}`);
      return listBlobs(bucket, prefix);
    },
    async delete(key) {
      await bucket.delete(checked(key));
    },
  };
}
