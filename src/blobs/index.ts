/**
 * The blobs' door: what src/http, src/runtime and functions/ import. Files in the R2 bucket (keys,
 * ctx.blobs), task payloads too large for Redis (references, offloading, the sweep). Imports only
 * the queue core, so the runtime and the HTTP layer can both stand on it.
 */
export type { BlobBucket, BlobObject, BlobValue } from "./bucket";
export { blobKeyProblem, blobPrefixProblem, INTERNAL_BLOB_PREFIX, INTERNAL_KEY_MARK, MAX_KEY_LENGTH, topSegment } from "./keys";
export { offloadingJobs, offloadingTasks } from "./offloading";
export {
  INLINE_PAYLOAD_BYTES,
  isPayloadRef,
  jsonBytes,
  MAX_PAYLOAD_BYTES,
  offloadPayload,
  PAYLOAD_REF_FIELD,
  PayloadBlobError,
  payloadKey,
  type PayloadOwner,
  payloadRoot,
  resolvePayload,
} from "./payloads";
export { BlobKeyError, blobInfo, type BlobInfo, type BlobRange, type BlobRead, type BlobStore, blobStore, NO_BLOBS } from "./store";
export { sweepPayloadBlobs, type SweepReport } from "./sweep";
