import { signDelivery } from "./signing";
import type { MessageRecord } from "./types";

/** What one delivery attempt came to. */
export interface AttemptOutcome {
  ok: boolean;
  status?: number;
  header?: Record<string, string[]>;
  bodyBase64?: string;
  /** Set when there was no response: timeout, refused connection, shutdown. */
  error?: string;
}

// Hop-by-hop and framing headers are the HTTP client's business; a forwarded one would break the request.
const unforwardable = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer"]);

/** The request QStash sends for one attempt: forwarded headers plus Upstash-* delivery headers, signed. */
export async function deliveryRequest(message: MessageRecord, signingKey: string): Promise<{ headers: Headers; body?: Uint8Array<ArrayBuffer> }> {
  const hasBody = message.method !== "GET" && message.method !== "HEAD";
  const body = hasBody ? Buffer.from(message.bodyBase64, "base64") : Buffer.alloc(0);
  const headers = new Headers();
  for (const [name, values] of Object.entries(message.header)) {
    if (!unforwardable.has(name.toLowerCase())) for (const value of values) headers.append(name, value);
  }
  headers.set("User-Agent", "Upstash-QStash");
  headers.set("Upstash-Message-Id", message.messageId);
  headers.set("Upstash-Retried", String(message.retried));
  if (message.scheduleId) headers.set("Upstash-Schedule-Id", message.scheduleId);
  if (message.callerIp) headers.set("Upstash-Caller-Ip", message.callerIp);
  headers.set("Upstash-Signature", await signDelivery(signingKey, message.url, body));
  return { headers, body: hasBody ? new Uint8Array(body) : undefined };
}

/** One attempt: a 2xx is a success; anything else, a timeout or a network error is a failure to retry. */
export async function attemptDelivery(message: MessageRecord, signingKey: string, shutdown: AbortSignal): Promise<AttemptOutcome> {
  const { headers, body } = await deliveryRequest(message, signingKey);
  const signal = AbortSignal.any([shutdown, AbortSignal.timeout(message.timeoutMs)]);
  try {
    const response = await fetch(message.url, { method: message.method, headers, body, signal, redirect: "manual" });
    const responseBody = Buffer.from(await response.arrayBuffer());
    const header: Record<string, string[]> = {};
    response.headers.forEach((value, name) => {
      (header[name] ??= []).push(value);
    });
    return { ok: response.status >= 200 && response.status < 300, status: response.status, header, bodyBase64: responseBody.toString("base64") };
  } catch (error) {
    const reason = shutdown.aborted ? "dev server shut down during delivery" : signal.aborted ? `timeout after ${message.timeoutMs} ms` : describe(error);
    return { ok: false, error: reason };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
