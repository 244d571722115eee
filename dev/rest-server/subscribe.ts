/**
 * SUBSCRIBE and PSUBSCRIBE as Upstash serves them: a server-sent event stream, one `data:` line per
 * event (`subscribe,chat,1`, `message,chat,hello`, `pmessage,pat*,chat,hello`), which
 * @upstash/redis's `subscribe()` / `psubscribe()` read. Each stream holds its own Redis connection,
 * closed when the HTTP client goes away.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Redis } from "ioredis";

export type SubscriptionKind = "subscribe" | "psubscribe";

function channelsOf(pathname: string): string[] {
  return pathname
    .split("/")
    .slice(2)
    .filter((segment) => segment !== "")
    .map((segment) => decodeURIComponent(segment));
}

export function serveSubscription(redisUrl: string, request: IncomingMessage, response: ServerResponse, kind: SubscriptionKind, pathname: string): void {
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
  const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  subscriber.on("error", () => {});
  const write = (line: string) => {
    if (!response.writableEnded) response.write(`data: ${line}\n\n`);
  };
  const close = () => {
    subscriber.disconnect();
    if (!response.writableEnded) response.end();
  };
  // The response's "close" marks the client going away; the request's fires as soon as its body is read.
  response.once("close", close);

  response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  response.flushHeaders();
  subscriber.on("message", (channel: string, message: string) => write(`message,${channel},${message}`));
  subscriber.on("pmessage", (pattern: string, channel: string, message: string) => write(`pmessage,${pattern},${channel},${message}`));
  const subscribed = kind === "subscribe" ? subscriber.subscribe(...channels) : subscriber.psubscribe(...channels);
  subscribed.then(
    (count) => {
      for (const channel of channels) write(`${kind},${channel},${String(count)}`);
    },
    () => close(),
  );
}
