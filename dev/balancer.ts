import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A round-robin TCP proxy in front of several local Worker processes: one stable URL for QStash
 * deliveries and clients, as Cloudflare's edge is in production. It balances connections, not
 * requests (clients keep theirs alive, so twenty clients spread over the workers): an HTTP proxy
 * parsed every request and answer twice, about a millisecond of CPU each on this machine, more
 * than a Worker spends on /health. A backend that refuses the connection (killed, restarting) is
 * skipped for the next one; one that dies cuts its clients' connections, which they retry.
 */
export interface Balancer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startBalancer(port: number, backends: () => string[]): Promise<Balancer> {
  let next = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => client.destroy());
    const targets = backends();
    const forward = (triesLeft: number) => {
      const target = new URL(targets[next++ % targets.length]!);
      const upstream = connect({ host: target.hostname, port: Number(target.port) });
      let connected = false;
      upstream.setNoDelay(true);
      upstream.once("connect", () => {
        connected = true;
        open.add(upstream);
        // a break on either side ends both: the client sees a cut connection, never a half answer
        upstream.on("close", () => (open.delete(upstream), client.destroy()));
        client.on("close", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.on("error", () => {
        if (connected) upstream.destroy();
        else if (triesLeft > 1 && !client.destroyed) forward(triesLeft - 1);
        else client.destroy();
      });
    };
    client.setNoDelay(true);
    if (targets.length === 0) client.destroy();
    else forward(targets.length);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of open) socket.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
