/**
 * What every blob route checks first: that the deployment has a bucket, that the key is valid, and
 * that the caller's token reaches it. A queue-restricted token reaches the keys whose first segment
 * is a queue it reaches (`reports-2026/01.log` for a token limited to `reports-*`), so that one
 * EDGEQ_TOKENS entry bounds a tenant's tasks and files alike.
 */
import type { Context } from "hono";
import { blobKeyProblem, blobPrefixProblem, topSegment, type BlobBucket } from "../blobs/index";
import { invalidField, ProblemError } from "./problem";
import { reachesQueue } from "./tokens";
import type { AppEnv } from "./types";

/** The Workers request body limit (paid plans); larger files go up in multipart parts. */
export const MAX_BLOB_BODY_BYTES = 100 * 1024 * 1024;

export function blobBucket(c: Context<AppEnv>): BlobBucket {
  const bucket = c.env.BLOBS;
  if (!bucket) {
    throw new ProblemError({ status: 503, kind: "misconfigured", title: "Server misconfigured", detail: "This Worker has no BLOBS binding (an R2 bucket; see the README's Data in R2 section)" });
  }
  return bucket;
}

function forbidden(detail: string): ProblemError {
  return new ProblemError({ status: 403, kind: "forbidden", title: "Forbidden", detail });
}

/** The route's `{key}` (or the key an upload path names), valid and within the token's reach. */
export function blobKey(c: Context<AppEnv>, key: string = c.req.param("key") ?? ""): string {
  const problem = blobKeyProblem(key);
  if (problem) throw invalidField("key", problem);
  const access = c.var.token.queues;
  if (!access.all && !reachesQueue(access, topSegment(key))) {
    throw forbidden(`This token reaches only keys whose first segment is one of its queues; "${topSegment(key)}" is not`);
  }
  return key;
}

/** A list prefix within the token's reach: a whole first segment it reaches, or a start its queue prefixes cover. */
export function blobPrefix(c: Context<AppEnv>, prefix: string): string {
  const problem = blobPrefixProblem(prefix);
  if (problem) throw invalidField("prefix", problem);
  const access = c.var.token.queues;
  if (access.all) return prefix;
  const reached = prefix.includes("/") ? reachesQueue(access, topSegment(prefix)) : access.prefixes.some((start) => prefix.startsWith(start));
  if (!reached) throw forbidden(`This token lists only under its queues' folders (e.g. "queue/"); prefix "${prefix}" reaches further`);
  return prefix;
}

/** The declared body length: R2 stores streams of known length only, and the limit is checked before reading. */
export function bodyLength(c: Context<AppEnv>, limit: number = MAX_BLOB_BODY_BYTES): number {
  const header = c.req.header("content-length");
  if (header === undefined) {
    throw new ProblemError({ status: 411, kind: "length-required", title: "Length required", detail: "Send Content-Length: blobs are stored as streams of known length" });
  }
  if (!/^\d{1,15}$/.test(header)) throw invalidField("content-length", `"${header}" is not a byte count`);
  const length = Number(header);
  if (length > limit) {
    throw new ProblemError({
      status: 413,
      kind: "payload-too-large",
      title: "Payload too large",
      detail: `A body is limited to ${limit} bytes; send larger files as a multipart upload (POST /v1/blobs/{key}/uploads)`,
    });
  }
  return length;
}
