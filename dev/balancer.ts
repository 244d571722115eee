import { createServer, request, type Server } from "node:http";
import { pipeline } from "node:stream";

/**
 * A round-robin HTTP proxy in front of several local Worker processes: one stable URL for QStash
 * deliveries and clients, as Cloudflare's edge is in production. A backend that refuses the
 * connection (killed, restarting) is skipped for the next one.
 */
export interface Balancer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startBalancer(port: number, backends: () => string[]): Promise<Balancer> {
  let next = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      const targets = backends();
      const forward = (triesLeft: number) => {
        const target = new URL(targets[next++ % targets.length]!);
        const proxied = request(
          { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (reply) => {
            outgoing.writeHead(reply.statusCode ?? 502, reply.headers);
            // pipe() alone would leave the client waiting forever for the rest of a body cut off by a
            // backend's death; pipeline() passes the break on, as a cut connection the client can retry.
            pipeline(reply, outgoing, () => {});
          },
        );
        proxied.on("error", () => {
          if (triesLeft > 1 && !outgoing.headersSent) forward(triesLeft - 1);
          else if (!outgoing.headersSent) outgoing.writeHead(502).end("no worker answered");
          else outgoing.destroy();
        });
        proxied.end(body);
      };
      forward(targets.length);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
      }),
    );
  });
}
