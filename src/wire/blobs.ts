/** Files in R2 on the wire: /v1/blobs answers (bodies themselves are bytes, not JSON). */

export interface BlobInfo {
  key: string;
  size: number;
  etag: string;
  /** When it was stored (ms since the epoch). */
  uploaded: number;
}

/** GET /v1/blobs: one page of a listing. */
export interface BlobPage {
  blobs: BlobInfo[];
  /** With `delimiter=/`: the folders one level down. */
  prefixes: string[];
  /** Where the next page starts; null on the last. */
  cursor: string | null;
}

/** A part of a multipart upload as stored: what `complete` takes back. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}
