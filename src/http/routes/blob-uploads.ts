/**
 * Multipart uploads, for blobs past one request's 100 MB: start one, PUT its parts (any order, each
 * again if it failed: a part number's last upload counts), then complete it with the parts' ETags,
 * or abort it. R2 keeps an upload's parts until it completes or aborts, so a client that stopped
 * midway resumes with the upload id and the ETags it kept.
 *
 * Their paths extend a key's (`{key}/uploads/…`), and Hono's router prefers the shorter `{key}`
 * route, so blobs.ts hands every key path here first (uploadAction) and keeps what is left.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { blobInfo } from "../../blobs/index";
import { blobBucket, blobKey, bodyLength } from "../blob-access";
import { invalidField, ProblemError } from "../problem";
import { problems } from "../responses";
import type { App, AppEnv } from "../types";

/** R2's bounds: parts are numbered 1 to 10,000. */
const MAX_PART_NUMBER = 10_000;

const Completion = z.object({
  parts: z.array(z.object({ partNumber: z.int().min(1).max(MAX_PART_NUMBER), etag: z.string().min(1).max(200) })).min(1).max(MAX_PART_NUMBER),
});

type UploadAction =
  | { action: "start"; key: string }
  | { action: "part"; key: string; uploadId: string; part: number }
  | { action: "complete" | "abort"; key: string; uploadId: string };

const PATHS: Record<string, { pattern: RegExp; action: UploadAction["action"] }[]> = {
  POST: [
    { pattern: /^(.+)\/uploads$/, action: "start" },
    { pattern: /^(.+)\/uploads\/([^/]+)\/complete$/, action: "complete" },
  ],
  PUT: [{ pattern: /^(.+)\/uploads\/([^/]+)\/(\d{1,5})$/, action: "part" }],
  DELETE: [{ pattern: /^(.+)\/uploads\/([^/]+)$/, action: "abort" }],
};

/** The multipart action a method and key path name, or null for a plain key. */
export function uploadAction(method: string, path: string): UploadAction | null {
  for (const { pattern, action } of PATHS[method] ?? []) {
    const match = pattern.exec(path);
    if (!match) continue;
    const [, key = "", uploadId = "", part = ""] = match;
    if (action === "start") return { action, key };
    if (action === "part") return { action, key, uploadId, part: Number(part) };
    return { action, key, uploadId };
  }
  return null;
}

/** R2 names a failed upload operation in its message, with a numeric code: say it as a problem. */
function uploadProblem(error: unknown, key: string): never {
  const message = error instanceof Error ? error.message : String(error);
  if (/\(10024\)|does not exist/i.test(message)) {
    throw new ProblemError({ status: 404, kind: "not-found", title: "Not found", detail: `No multipart upload with that id for "${key}" (completed, aborted or never started)` });
  }
  if (/\(100(25|11|48)\)|part|size/i.test(message)) throw invalidField("parts", message);
  throw error;
}

export async function runUploadAction(c: Context<AppEnv>, upload: UploadAction): Promise<Response> {
  const key = blobKey(c, upload.key);
  const bucket = blobBucket(c);
  if (upload.action === "start") {
    const contentType = c.req.header("x-blob-content-type");
    const started = await bucket.createMultipartUpload(key, contentType ? { httpMetadata: { contentType } } : {});
    return c.json({ key, uploadId: started.uploadId }, 201);
  }
  if (upload.uploadId.length > 1024) throw invalidField("uploadId", "is longer than 1024 characters");
  const resumed = bucket.resumeMultipartUpload(key, upload.uploadId);
  if (upload.action === "part") {
    if (!(upload.part >= 1 && upload.part <= MAX_PART_NUMBER)) throw invalidField("part", `must be 1 to ${MAX_PART_NUMBER}`);
    if (bodyLength(c) === 0) throw invalidField("body", "a part holds at least one byte");
    const uploaded = await resumed.uploadPart(upload.part, c.req.raw.body!).catch((error: unknown) => uploadProblem(error, key));
    return c.json({ partNumber: uploaded.partNumber, etag: uploaded.etag }, 200);
  }
  if (upload.action === "abort") {
    await resumed.abort().catch((error: unknown) => uploadProblem(error, key));
    return c.json({ key, aborted: true }, 200);
  }
  const parsed = Completion.safeParse(await c.req.json().catch(() => null));
  if (!parsed.success) throw invalidField("parts", "send {parts:[{partNumber, etag}, …]} as JSON, in part order");
  const stored = await resumed.complete(parsed.data.parts).catch((error: unknown) => uploadProblem(error, key));
  return c.json(blobInfo(stored), 201, { etag: stored.httpEtag });
}

export function documentBlobUploads(app: App): void {
  for (const [method, path, summary] of [
    ["post", "/v1/blobs/{key}/uploads", "Start a multipart upload → {key, uploadId}"],
    ["put", "/v1/blobs/{key}/uploads/{uploadId}/{part}", "Upload part number {part} (1–10,000; all but the last at least 5 MiB) → {partNumber, etag}"],
    ["post", "/v1/blobs/{key}/uploads/{uploadId}/complete", "Complete the upload from {parts:[{partNumber, etag}]}"],
    ["delete", "/v1/blobs/{key}/uploads/{uploadId}", "Abort the upload"],
  ] as const) {
    app.openAPIRegistry.registerPath({ method, path, summary, responses: { 200: { description: "OK" }, ...problems(400, 401, 403, 404) } });
  }
}
