/**
 * Where the Worker under test tells QStash to push (its EDGEQ_PUBLIC_URL): a Node HTTP server that
 * records each delivery and answers 200. Tests read the deliveries back to see that an enqueue
 * pushed the workers, and replay them into the Worker to check the real signatures end to end.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { RecordedDelivery } from "../fixtures";

export async function startPushSink(): Promise<{ url: string; close(): Promise<void> }> {
  const deliveries: RecordedDelivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method === "GET" && request.url === "/deliveries") {
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(deliveries));
        return;
      }
      deliveries.push({
        path: request.url ?? "",
        body: Buffer.concat(chunks).toString("utf8"),
        signature: header(request.headers["upstash-signature"]),
        messageId: header(request.headers["upstash-message-id"]),
      });
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function header(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}
