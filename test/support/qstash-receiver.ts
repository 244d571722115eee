import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { Client } from "@upstash/qstash";
import { afterAll, beforeAll, inject } from "vitest";

export interface Delivery {
  method: string;
  /** The full URL the request was sent to, as the signature's sub claim names it. */
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to hold a delivery open). */
  delayMs?: number;
}

/**
 * A loopback HTTP endpoint that records what the QStash dev server delivers to it. Each test uses its own
 * path (`route()`), answers as it likes, and waits for a number of deliveries with a bound.
 */
export async function startReceiver() {
  const deliveries: Delivery[] = [];
  const replies = new Map<string, (delivery: Delivery) => Reply>();
  const active = new Map<string, number>();
  const maxActive = new Map<string, number>();
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = `${base}${request.url ?? "/"}`;
      const path = (request.url ?? "/").split("?")[0] ?? "/";
      const delivery = { method: request.method ?? "", url, path, headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), receivedAt: Date.now() };
      active.set(path, (active.get(path) ?? 0) + 1);
      maxActive.set(path, Math.max(maxActive.get(path) ?? 0, active.get(path) ?? 0));
      deliveries.push(delivery);
      for (const wake of waiters) wake();
      const reply = replies.get(path)?.(delivery) ?? {};
      setTimeout(() => {
        active.set(path, (active.get(path) ?? 1) - 1);
        response.writeHead(reply.status ?? 200, { "content-type": "text/plain", ...reply.headers }).end(reply.body ?? "ok");
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    /** A fresh path on this receiver (ending in `suffix`), optionally with its own way of answering. */
    route(answer?: (delivery: Delivery) => Reply, suffix = ""): { url: string; path: string } {
      const path = `/${randomBytes(6).toString("hex")}${suffix}`;
      if (answer) replies.set(path, answer);
      return { url: `${base}${path}`, path };
    },
    deliveriesTo(path: string): Delivery[] {
      return deliveries.filter((delivery) => delivery.path === path);
    },
    maxConcurrent(path: string): number {
      return maxActive.get(path) ?? 0;
    },
    /** Resolves with the deliveries to `path` once there are `count`; rejects after `timeoutMs`. */
    async waitFor(path: string, count: number, timeoutMs = 10_000): Promise<Delivery[]> {
      const deadline = Date.now() + timeoutMs;
      while (this.deliveriesTo(path).length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} deliveries to ${path} within ${timeoutMs} ms, got ${this.deliveriesTo(path).length}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
      return this.deliveriesTo(path);
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** A receiver for the whole test file: started before its tests, stopped after them. */
export function receiverForFile(): () => Receiver {
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  return () => {
    if (!receiver) throw new Error("the receiver starts in beforeAll; use it inside tests");
    return receiver;
  };
}

/** A client of the shared QStash dev server (started in global setup); no client-side retries to hide errors. */
export function testQStash(): Client {
  return new Client({ baseUrl: inject("qstashUrl"), token: inject("qstashToken"), retry: false });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
