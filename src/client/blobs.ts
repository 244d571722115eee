/**
 * The blob routes (/v1/blobs) for the client: bodies are bytes, not JSON, so these speak fetch
 * directly. Keys are sent segment by segment, so `/` stays a folder separator.
 */
import type { BlobInfo, BlobPage, UploadedPart } from "../wire/index";
import { bareProblem, EdgeqHttpError, failure, type TransportOptions } from "./http";

export const keyPath = (key: string): string => `/v1/blobs/${key.split("/").map(encodeURIComponent).join("/")}`;

export function blobClient(options: TransportOptions) {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const auth = { authorization: `Bearer ${options.token}` };
  const retries = options.retries ?? 3;

  async function send(method: string, path: string, init: { body?: Uint8Array<ArrayBuffer> | string; headers?: Record<string, string> } = {}): Promise<Response> {
    const request = () => doFetch(`${base}${path}`, { method, headers: { ...auth, ...init.headers }, ...(init.body !== undefined ? { body: init.body } : {}) });
    // PUT, GET and DELETE of a key or part are idempotent: resent when the connection broke (a kept-alive
    // socket the server closed as a large body went out fails with EPIPE) or a gateway failed.
    const attempts = method === "POST" ? 1 : retries + 1;
    for (let attempt = 1; ; attempt++) {
      let response: Response | undefined;
      try {
        response = await request();
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
      if (response && (response.ok || response.status === 304)) return response;
      if (response && (attempt >= attempts || ![502, 503, 504].includes(response.status))) throw await failure(response);
      await response?.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  const json = async <T>(response: Promise<Response>): Promise<T> => (await (await response).json()) as T;

  return {
    /** One request, up to 100 MB. */
    put(key: string, body: Uint8Array<ArrayBuffer> | string, contentType?: string): Promise<BlobInfo> {
      return json(send("PUT", keyPath(key), { body, ...(contentType ? { headers: { "content-type": contentType } } : {}) }));
    },
    /** The blob's body as a Response (stream it); `range` as [first, last] bytes, inclusive. */
    get(key: string, range?: [number, number?]): Promise<Response> {
      return send("GET", keyPath(key), range ? { headers: { range: `bytes=${range[0]}-${range[1] ?? ""}` } } : {});
    },
    async head(key: string): Promise<{ size: number; etag: string } | null> {
      const response = await doFetch(`${base}${keyPath(key)}`, { method: "HEAD", headers: auth });
      if (response.status === 404) return null;
      if (!response.ok) throw new EdgeqHttpError(response.status, bareProblem(response.status, response.statusText));
      return { size: Number(response.headers.get("content-length")), etag: response.headers.get("etag") ?? "" };
    },
    list(prefix = "", cursor?: string, delimiter?: "/"): Promise<BlobPage> {
      const query = new URLSearchParams({ prefix, ...(cursor ? { cursor } : {}), ...(delimiter ? { delimiter } : {}) });
      return json(send("GET", `/v1/blobs?${query}`));
    },
    delete(key: string): Promise<{ key: string; deleted: boolean }> {
      return json(send("DELETE", keyPath(key)));
    },
    startUpload(key: string): Promise<{ key: string; uploadId: string }> {
      return json(send("POST", `${keyPath(key)}/uploads`));
    },
    uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array<ArrayBuffer>): Promise<UploadedPart> {
      return json(send("PUT", `${keyPath(key)}/uploads/${encodeURIComponent(uploadId)}/${partNumber}`, { body }));
    },
    completeUpload(key: string, uploadId: string, parts: UploadedPart[]): Promise<BlobInfo> {
      const body = JSON.stringify({ parts });
      return json(send("POST", `${keyPath(key)}/uploads/${encodeURIComponent(uploadId)}/complete`, { body, headers: { "content-type": "application/json" } }));
    },
    abortUpload(key: string, uploadId: string): Promise<unknown> {
      return json(send("DELETE", `${keyPath(key)}/uploads/${encodeURIComponent(uploadId)}`));
    },
  };
}

export type BlobClient = ReturnType<typeof blobClient>;
