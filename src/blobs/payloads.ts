/**
 * Task inputs and results too large for Redis: past INLINE_PAYLOAD_BYTES of JSON, the value (sealed
 * first when encryption at rest is on) goes to R2 and Redis keeps a reference of about 200 bytes,
 * `{"$edgeq:blob":{"key":…,"size":…,"sha256":…}}`, inside the input or result it already stores
 * opaquely. So Redis bytes and commands per task stay flat whatever the payload's size, and the
 * queue core and its scripts know nothing of it. Readers resolve the reference and check its hash.
 *
 * Keys are `~payloads/<key prefix>/<queue>/<owner id>/<kind>-<hash>`. The deployment's key prefix
 * (EDGEQ_KEY_PREFIX) keeps deployments that share a bucket apart, as it does in Redis: each one's
 * sweep (sweep.ts) lists only its own. The owner id (a task's, or a job's for its input) lets the
 * sweep find who refers to a blob; the hash keeps a stale attempt's result from overwriting the blob
 * of the attempt that won.
 */
import type { BlobBucket } from "./bucket";
import { INTERNAL_BLOB_PREFIX } from "./keys";

/** JSON above this leaves Redis: 32 KiB keeps records small while most payloads stay one round trip. */
export const INLINE_PAYLOAD_BYTES = 32 * 1024;
/** The largest input or result with R2 bound (without it, the queue core's 64 KiB apply). */
export const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;
export const PAYLOAD_REF_FIELD = "$edgeq:blob";

export type PayloadKind = "input" | "result" | "job-input";
/** Who a payload blob belongs to: `ownerId` is a task's id, or a job's for a "job-input". */
export interface PayloadOwner {
  prefix: string;
  queue: string;
  ownerId: string;
  kind: PayloadKind;
}
export interface PayloadRef {
  [PAYLOAD_REF_FIELD]: { key: string; size: number; sha256: string };
}

export class PayloadBlobError extends Error {
  override readonly name = "PayloadBlobError";
}

export function isPayloadRef(value: unknown): value is PayloadRef {
  const ref = (value as Record<string, unknown> | null)?.[PAYLOAD_REF_FIELD] as PayloadRef[typeof PAYLOAD_REF_FIELD] | undefined;
  return typeof value === "object" && value !== null && typeof ref?.key === "string" && typeof ref.sha256 === "string";
}

/** Where one deployment's payload blobs live in the bucket. */
export function payloadRoot(prefix: string): string {
  return `${INTERNAL_BLOB_PREFIX}${prefix}/`;
}

export function payloadKey(owner: PayloadOwner, sha256: string): string {
  return `${payloadRoot(owner.prefix)}${owner.queue}/${owner.ownerId}/${owner.kind}-${sha256.slice(0, 32)}`;
}

/** What a payload key names, or null for a key that is not one. */
export function parsePayloadKey(key: string): PayloadOwner | null {
  const match = /^~payloads\/([^/]+)\/([^/]+)\/([^/]+)\/(input|result|job-input)-[0-9a-f]{32}$/.exec(key);
  return match ? { prefix: match[1]!, queue: match[2]!, ownerId: match[3]!, kind: match[4] as PayloadKind } : null;
}

export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value ?? null));
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `value` as Redis should keep it: itself when small, else a reference to the blob it was written to. */
export async function offloadPayload(bucket: BlobBucket, value: unknown, owner: PayloadOwner): Promise<unknown> {
  const bytes = jsonBytes(value);
  if (bytes.length <= INLINE_PAYLOAD_BYTES) return value;
  const sha256 = await sha256Hex(bytes);
  const key = payloadKey(owner, sha256);
  await bucket.put(key, bytes);
  const ref: PayloadRef = { [PAYLOAD_REF_FIELD]: { key, size: bytes.length, sha256 } };
  return ref;
}

/** The value a reference stands for, read from R2 and checked against its hash; any other value as it is. */
export async function resolvePayload(bucket: BlobBucket | undefined, value: unknown): Promise<unknown> {
  if (!isPayloadRef(value)) return value;
  const { key, sha256 } = value[PAYLOAD_REF_FIELD];
  if (!bucket) throw new PayloadBlobError(`the payload is in R2 ("${key}") but this Worker has no BLOBS binding`);
  const object = await bucket.get(key);
  if (!object || !("body" in object)) throw new PayloadBlobError(`the payload blob "${key}" is gone (deleted with its task, or never written)`);
  const bytes = new Uint8Array(await new Response(object.body).arrayBuffer());
  if ((await sha256Hex(bytes)) !== sha256) throw new PayloadBlobError(`the payload blob "${key}" does not match its hash: altered`);
  return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
}
