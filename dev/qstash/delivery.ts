import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
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
export async function deliveryRequest(message: MessageRecord, signingKey: string): Promise<{ headers: OutgoingHttpHeaders; body?: Buffer }> {
  const hasBody = message.method !== "GET" && message.method !== "HEAD";
  const body = hasBody ? Buffer.from(message.bodyBase64, "base64") : Buffer.alloc(0);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(message.header)) {
    if (!unforwardable.has(name.toLowerCase())) headers[name] = values.length === 1 ? values[0] : values;
  }
  headers["User-Agent"] = "Upstash-QStash";
  headers["Upstash-Message-Id"] = message.messageId;
  headers["Upstash-Retried"] = String(message.retried);
  if (message.scheduleId) headers["Upstash-Schedule-Id"] = message.scheduleId;
  if (message.topicName) headers["Upstash-Topic-Name"] = message.topicName;
  if (message.callerIp) headers["Upstash-Caller-Ip"] = message.callerIp;
  headers["Upstash-Signature"] = await signDelivery(signingKey, message.url, body);
  if (hasBody) headers["Content-Length"] = body.length;
  return { headers, body: hasBody ? body : undefined };
}

// Keep-alive pools, so that deliveries to one worker reuse connections instead of opening one each.
const agents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) };

/**
 * One attempt: a 2xx is a success; anything else, a timeout or a network error is a failure to retry.
 * node:http rather than fetch: a delivery is the hot path, and fetch's web streams cost several times more.
 */
export async function attemptDelivery(message: MessageRecord, signingKey: string, shutdown: AbortSignal): Promise<AttemptOutcome> {
  try {
    return await sendAttempt(message, await deliveryRequest(message, signingKey), shutdown);
  } catch (error) {
    // A request that cannot even be built is a failed attempt like any other: retried, then dead-lettered.
    return { ok: false, error: describe(error) };
  }
}

function sendAttempt(message: MessageRecord, { headers, body }: { headers: OutgoingHttpHeaders; body?: Buffer }, shutdown: AbortSignal): Promise<AttemptOutcome> {
  const target = new URL(message.url);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      shutdown.removeEventListener("abort", onShutdown);
      resolve(outcome);
    };
    const request = send(target, {
      method: message.method,
      headers,
      agent: agents[target.protocol as keyof typeof agents],
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", (error) => finish({ ok: false, error: describe(error) }));
      response.on("end", () => {
        const status = response.statusCode ?? 0;
        const header: Record<string, string[]> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) header[name] = Array.isArray(value) ? value : [value];
        }
        finish({ ok: status >= 200 && status < 300, status, header, bodyBase64: Buffer.concat(chunks).toString("base64") });
      });
    });
    const fail = (reason: string) => {
      finish({ ok: false, error: reason });
      request.destroy();
    };
    const timer = setTimeout(() => fail(`timeout after ${message.timeoutMs} ms`), message.timeoutMs);
    const onShutdown = () => fail("dev server shut down during delivery");
    if (shutdown.aborted) return onShutdown();
    shutdown.addEventListener("abort", onShutdown, { once: true });
    request.on("error", (error) => finish({ ok: false, error: describe(error) }));
    request.end(body);
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
