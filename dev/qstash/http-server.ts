import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { BodyTooLarge, readBody } from "../rest-server/limits";
import type { HeaderMap } from "./publish";
import { QStashApiError } from "./types";

export interface ApiRequest {
  method: string;
  /** The request target as sent, query string included: destinations are taken from it raw. */
  rawUrl: string;
  query: URLSearchParams;
  headers: HeaderMap;
  body: Buffer;
  callerIp?: string;
  now: number;
}

export interface ApiReply {
  status: number;
  /** Sent as JSON; absent for an empty body. */
  body?: unknown;
}

export interface Route {
  method: string;
  /** Matched against the raw request target; groups become the handler's params (still encoded). */
  pattern: RegExp;
  handle(request: ApiRequest, params: string[]): Promise<ApiReply>;
}

/** Matches a path and an optional query string after it. */
export const endOfPath = "(?:\\?.*)?$";

function sameToken(given: string, expected: string): boolean {
  // Compare digests so that the comparison takes the same time whatever the lengths.
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function send(response: ServerResponse, reply: ApiReply): void {
  if (reply.body === undefined) {
    response.writeHead(reply.status).end();
    return;
  }
  const json = JSON.stringify(reply.body);
  response.writeHead(reply.status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) }).end(json);
}

async function route(routes: Route[], token: string, maxRequestBytes: number, request: IncomingMessage): Promise<ApiReply> {
  const rawUrl = request.url ?? "/";
  const authorization = request.headers.authorization ?? "";
  if (!authorization.startsWith("Bearer ") || !sameToken(authorization.slice("Bearer ".length), token)) {
    throw new QStashApiError(401, "Unauthorized: a valid Authorization: Bearer <QSTASH_TOKEN> header is required");
  }
  const pathMatches = routes.map((candidate) => ({ candidate, match: candidate.pattern.exec(rawUrl) })).filter((item) => item.match);
  const found = pathMatches.find((item) => item.candidate.method === request.method);
  if (!found?.match) {
    if (pathMatches.length > 0) throw new QStashApiError(405, `method ${request.method} not allowed on ${rawUrl.split("?")[0]}`);
    throw new QStashApiError(404, `no such endpoint: ${request.method} ${rawUrl.split("?")[0]}`);
  }
  const headers: HeaderMap = new Map();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const body = await readBody(request, maxRequestBytes).catch((error: unknown) => {
    throw error instanceof BodyTooLarge ? new QStashApiError(413, `request body exceeds ${maxRequestBytes} bytes`) : error;
  });
  const query = new URL(rawUrl, "http://localhost").searchParams;
  return found.candidate.handle(
    { method: request.method ?? "GET", rawUrl, query, headers, body, callerIp: request.socket.remoteAddress, now: Date.now() },
    found.match.slice(1).map((param) => param ?? ""),
  );
}

/** The QStash REST API over node:http: bearer auth, a body limit, and `{ error }` replies as QStash gives. */
export function createApiServer(options: { token: string; routes: Route[]; maxRequestBytes: number }): Server {
  const server = createServer((request, response) => {
    route(options.routes, options.token, options.maxRequestBytes, request).then(
      (reply) => send(response, reply),
      (error: unknown) => {
        if (error instanceof QStashApiError) return send(response, { status: error.status, body: { error: error.message } });
        if (error instanceof URIError) return send(response, { status: 400, body: { error: `malformed percent-encoding in ${request.url}` } });
        console.error(`[qstash-dev] ${request.method} ${request.url}:`, error);
        send(response, { status: 500, body: { error: `internal error: ${(error as Error).message}` } });
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
