/**
 * Blobs in the deployment's R2 bucket: PUT streams a body in, GET streams it out (with Range and
 * conditional requests), HEAD, DELETE, and a paged listing by prefix. Write needs the enqueue
 * scope, read the read scope; queue-restricted tokens stay within their queues' folders
 * (blob-access.ts). Multipart uploads are in blob-uploads.ts.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { INTERNAL_KEY_MARK, blobInfo, type BlobObject } from "../../blobs/index";
import { blobBucket, blobKey, blobPrefix, bodyLength } from "../blob-access";
import { resolveRange } from "../byte-range";
import { requireScope } from "../middleware/auth";
import { invalidField, ProblemError } from "../problem";
import { problems } from "../responses";
import type { App, AppEnv } from "../types";
import type { BlobPage } from "../../wire/index";
import { documentBlobUploads, runUploadAction, uploadAction } from "./blob-uploads";

const KEY_PATH = "/v1/blobs/:key{.+}";
const MAX_LIST_LIMIT = 1000;

export function objectHeaders(object: BlobObject): Headers {
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  headers.set("etag", object.httpEtag);
  headers.set("last-modified", object.uploaded.toUTCString());
  headers.set("accept-ranges", "bytes");
  return headers;
}

function notFound(key: string): ProblemError {
  return new ProblemError({ status: 404, kind: "not-found", title: "Not found", detail: `No blob "${key}"` });
}

async function readBlob(c: Context<AppEnv>): Promise<Response> {
  const key = blobKey(c);
  const bucket = blobBucket(c);
  const head = await bucket.head(key);
  if (!head) throw notFound(key);
  const headers = objectHeaders(head);
  // An ETag the caller holds already: nothing to send (If-None-Match takes a list, or *).
  const holds = c.req.header("if-none-match");
  if (holds !== undefined && (holds.trim() === "*" || holds.split(",").some((tag) => tag.trim().replace(/^W\//, "") === head.httpEtag))) {
    return new Response(null, { status: 304, headers });
  }
  const range = resolveRange(c.req.header("range"), head.size);
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${head.size}`);
    throw new ProblemError({ status: 416, kind: "range-not-satisfiable", title: "Range not satisfiable", detail: `The blob has ${head.size} bytes` }, Object.fromEntries(headers));
  }
  if (c.req.method === "HEAD") return new Response(null, { status: 200, headers: withLength(headers, head.size) });
  // The read names the ETag it checked, so a blob replaced in between is not served half old, half new.
  const object = await bucket.get(key, { onlyIf: { etagMatches: head.etag }, ...(range ? { range } : {}) });
  if (!object || !("body" in object)) throw new ProblemError({ status: 409, kind: "changed", title: "Changed while read", detail: `Blob "${key}" was replaced during the read; read it again` });
  if (!range) return new Response(object.body, { status: 200, headers: withLength(headers, head.size) });
  headers.set("content-range", `bytes ${range.offset}-${range.offset + range.length - 1}/${head.size}`);
  return new Response(object.body, { status: 206, headers: withLength(headers, range.length) });
}

function withLength(headers: Headers, length: number): Headers {
  headers.set("content-length", String(length));
  return headers;
}

const ListQuery = z.object({
  prefix: z.string().max(600).default(""),
  cursor: z.string().max(4096).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(MAX_LIST_LIMIT),
  delimiter: z.literal("/").optional(),
});

export function registerBlobRoutes(app: App): void {
  app.get("/v1/blobs", requireScope("read", "handler"), async (c) => {
    const parsed = ListQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalidField(String(issue.path[0] ?? "query"), issue.message);
    }
    const { cursor, limit, delimiter } = parsed.data;
    const prefix = blobPrefix(c, parsed.data.prefix);
    const page = await blobBucket(c).list({ prefix, limit, ...(cursor ? { cursor } : {}), ...(delimiter ? { delimiter } : {}) });
    // Task payloads and the sweep's cursor (src/blobs) share the bucket but are not files of anyone's:
    // they stay hidden. Their names start with "~", which no API key may.
    const visible = (key: string) => !key.startsWith(INTERNAL_KEY_MARK);
    return c.json({
      blobs: page.objects.filter((object) => visible(object.key)).map(blobInfo),
      prefixes: page.delimitedPrefixes.filter(visible),
      cursor: page.truncated ? (page.cursor ?? null) : null,
    } satisfies BlobPage);
  });

  app.on("HEAD", KEY_PATH, requireScope("read", "handler"), readBlob);
  app.get(KEY_PATH, requireScope("read", "handler"), readBlob);

  // Writes go to a multipart upload when the path names one (blob-uploads.ts).
  app.post(KEY_PATH, requireScope("enqueue", "handler"), async (c) => {
    const upload = uploadAction("POST", c.req.param("key"));
    if (!upload) throw new ProblemError({ status: 405, kind: "method-not-allowed", title: "Method not allowed", detail: "POST a blob path only to {key}/uploads (multipart)" }, { allow: "GET, HEAD, PUT, DELETE" });
    return runUploadAction(c, upload);
  });

  app.put(KEY_PATH, requireScope("enqueue", "handler"), async (c) => {
    const upload = uploadAction("PUT", c.req.param("key"));
    if (upload) return runUploadAction(c, upload);
    const key = blobKey(c);
    const length = bodyLength(c);
    const body = c.req.raw.body ?? new Blob([]).stream();
    const contentType = c.req.header("content-type");
    // A body shorter or longer than its Content-Length fails the put: nothing half-written is stored.
    // Without onlyIf, R2 answers every put with the stored object.
    const stored = (await blobBucket(c).put(key, length === 0 ? "" : body, contentType ? { httpMetadata: { contentType } } : {}))!;
    return c.json(blobInfo(stored), 201, { etag: stored.httpEtag });
  });

  app.delete(KEY_PATH, requireScope("enqueue", "handler"), async (c) => {
    const upload = uploadAction("DELETE", c.req.param("key"));
    if (upload) return runUploadAction(c, upload);
    const key = blobKey(c);
    await blobBucket(c).delete(key);
    return c.json({ key, deleted: true }, 200);
  });

  documentBlobUploads(app);
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/blobs",
    summary: "Blobs under a prefix, a page at a time: {blobs:[{key,size,etag,uploaded}], prefixes, cursor}",
    request: { query: ListQuery },
    responses: { 200: { description: "A page of blobs", content: { "application/json": { schema: z.object({}).passthrough() } } }, ...problems(400, 401, 403) },
  });
  for (const [method, summary] of [
    ["put", "Store a blob (up to 100 MB; Content-Length required)"],
    ["get", "Read a blob; Range and If-None-Match honored"],
    ["head", "A blob's size, ETag and type"],
    ["delete", "Delete a blob"],
  ] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: "/v1/blobs/{key}",
      summary,
      request: { params: z.object({ key: z.string().openapi({ example: "logs/2026-12-07.log" }) }) },
      responses: { 200: { description: "OK" }, ...problems(400, 401, 403, 404) },
    });
  }
}
