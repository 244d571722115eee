/**
 * The part of R2's Workers API that edgeq calls, written out so that code compiled for Node (the
 * dev tools, the tests' Node side) can name it too; a Workers R2Bucket is one of these.
 */

export interface BlobObject {
  key: string;
  size: number;
  etag: string;
  /** The ETag quoted, as an HTTP header carries it. */
  httpEtag: string;
  uploaded: Date;
  range?: { offset?: number; length?: number; suffix?: number };
  writeHttpMetadata(headers: Headers): void;
}

export interface BlobObjectBody extends BlobObject {
  body: ReadableStream<Uint8Array>;
}

export type BlobValue = ReadableStream | ArrayBuffer | ArrayBufferView | string | Blob;

export interface BlobUpload {
  uploadPart(partNumber: number, value: BlobValue): Promise<{ partNumber: number; etag: string }>;
  abort(): Promise<void>;
  complete(parts: { partNumber: number; etag: string }[]): Promise<BlobObject>;
}

export interface BlobBucket {
  head(key: string): Promise<BlobObject | null>;
  get(
    key: string,
    options?: { range?: { offset: number; length?: number } | { suffix: number }; onlyIf?: { etagMatches?: string } },
  ): Promise<BlobObjectBody | BlobObject | null>;
  put(key: string, value: BlobValue, options?: { httpMetadata?: { contentType?: string } }): Promise<BlobObject | null>;
  list(options?: { prefix?: string; cursor?: string; limit?: number; delimiter?: string }): Promise<{
    objects: BlobObject[];
    truncated: boolean;
    cursor?: string;
    delimitedPrefixes: string[];
  }>;
  delete(keys: string | string[]): Promise<void>;
  createMultipartUpload(key: string, options?: { httpMetadata?: { contentType?: string } }): Promise<{ uploadId: string }>;
  resumeMultipartUpload(key: string, uploadId: string): BlobUpload;
}
