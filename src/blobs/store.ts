/**
 * `ctx.blobs`: what a task function sees of the R2 bucket. Streams in and out (a map task reads its
 * byte range without holding the object), keys checked as the HTTP API checks them.
 */
import { blobKeyProblem, blobPrefixProblem } from "./keys";

/** The R2 methods edgeq uses, so that any bucket-shaped object can stand in. */
export type BlobBucket = Pick<R2Bucket, "get" | "head" | "put" | "list" | "delete" | "createMultipartUpload" | "resumeMultipartUpload">;

export interface BlobInfo {
  key: string;
  size: number;
  etag: string;
  uploaded: number;
}

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
  put(key: string, body: ReadableStream | ArrayBuffer | ArrayBufferView | string): Promise<BlobInfo>;
  /** Every blob under `prefix`, page by page as it is iterated. */
  list(prefix: string): AsyncIterable<BlobInfo>;
  delete(key: string): Promise<void>;
}

export class BlobKeyError extends TypeError {
  override readonly name = "BlobKeyError";
}

function checked(key: string): string {
  const problem = blobKeyProblem(key);
  if (problem) throw new BlobKeyError(`blob key "${key}" ${problem}`);
  return key;
}

export function blobInfo(object: R2Object): BlobInfo {
  return { key: object.key, size: object.size, etag: object.etag, uploaded: object.uploaded.getTime() };
}

/** The range an R2 read answered with, as offset and length. */
export function servedRange(object: R2Object, asked: BlobRange | undefined): { offset: number; length: number } {
  const range = object.range as { offset?: number; length?: number; suffix?: number } | undefined;
  if (!range || !asked) return { offset: 0, length: object.size };
  const offset = Math.min(range.offset ?? asked.offset, object.size);
  return { offset, length: Math.min(range.length ?? object.size - offset, object.size - offset) };
}

export async function* listBlobs(bucket: Pick<R2Bucket, "list">, prefix: string): AsyncGenerator<BlobInfo> {
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
      if (!object) return null;
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
