/**
 * SUBSCRIBE and PSUBSCRIBE as Upstash serves them: a server-sent event stream, one `data:` line per
 * event (`subscribe,chat,1`, `message,chat,hello`, `pmessage,pat*,chat,hello`), which
 * @upstash/redis's `subscribe()` / `psubscribe()` read. Streams listen through the server's one
 * subscriber connection (subscription-hub.ts) until the HTTP client goes away.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HubListener, SubscriptionHub, SubscriptionKind } from "./subscription-hub";

export type { SubscriptionKind } from "./subscription-hub";

function channelsOf(pathname: string): string[] {
  return pathname
    .split("/")
    .slice(2)
    .filter((segment) => segment !== "")
    .map((segment) => decodeURIComponent(segment));
}

export function serveSubscription(hub: SubscriptionHub, request: IncomingMessage, response: ServerResponse, kind: SubscriptionKind, pathname: string): void {
  request.resume(); // the client posts an empty JSON array; nothing in it matters
  let channels: string[];
  try {
    channels = channelsOf(pathname);
  } catch {
    channels = [];
  }
  if (channels.length === 0) {
    const body = JSON.stringify({ error: `ERR wrong number of arguments for '${kind}' command` });
    response.writeHead(400, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    response.end(body);
    return;
  }
  const write = (line: string) => {
    if (!response.writableEnded) response.write(`data: ${line}\n\n`);
  };
  const listener: HubListener = ({ channel, message, pattern }) => write(pattern === undefined ? `message,${channel},${message}` : `pmessage,${pattern},${channel},${message}`);
  const close = () => {
    hub.remove(kind, channels, listener);
    if (!response.writableEnded) response.end();
  };
  // The response's "close" marks the client going away; the request's fires as soon as its body is read.
  response.once("close", close);

  response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  response.flushHeaders();
  // As on a connection of its own, the count is this stream's number of subscriptions so far.
  hub.add(kind, channels, listener).then(
    () => channels.forEach((channel, i) => write(`${kind},${channel},${i + 1}`)),
    () => close(),
  );
}
