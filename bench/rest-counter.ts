/**
 * Counts the REST requests @upstash/redis sends (it calls the global fetch; Upstash bills and rate
 * limits per request, and each one costs a round trip), by wrapping fetch once for this process.
 */

export interface RestCounter {
  /** Requests sent to the REST server since the counter was installed. */
  requests(): number;
  /** Request body bytes sent, a hint of codec cost. */
  bytesSent(): number;
}

function bodyLength(body: unknown): number {
  if (typeof body === "string") return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

export function countRestRequests(restUrl: string): RestCounter {
  let requests = 0;
  let bytes = 0;
  const original = globalThis.fetch;
  const counting: typeof fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(restUrl)) {
      requests += 1;
      bytes += bodyLength(init?.body);
    }
    return original(input, init);
  };
  globalThis.fetch = counting;
  return { requests: () => requests, bytesSent: () => bytes };
}
