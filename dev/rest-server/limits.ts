/** Request-size limit: a body over the limit is refused with 413 before it is parsed or run. */
import type { IncomingMessage } from "node:http";

/** Upstash's paid plans accept requests of some megabytes; the dev default is generous but bounded. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`ERR max request size exceeded. Limit: ${limit} bytes`);
  }
}

/**
 * The whole request body, refusing early when Content-Length or the bytes received pass the limit.
 * One chunk (the common case for small commands) is returned without copying.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = request.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        request.removeAllListeners("data");
        request.resume(); // discard the rest so the connection can answer and stay usable
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    request.once("end", () => {
      if (size > limit) return;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    request.once("error", reject);
  });
}
