/**
 * One piece of the push path on its own: from a publish with the real @upstash/qstash Client to the
 * signed delivery reaching a bare Node receiver, through the QStash dev server. What the push-path
 * latency has beyond this is the Worker's (enqueue route, signature check, claim, run, settle).
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@upstash/qstash";
import { startQStashServer } from "../dev/qstash/index";
import { percentile, range } from "./workload";

export interface HopLatency {
  tasks: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function qstashHop(redisUrl: string, messages: number): Promise<HopLatency> {
  const secret = () => randomBytes(16).toString("base64url");
  const token = secret();
  const waiting = new Map<string, () => void>();
  const receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += String(chunk)));
    request.on("end", () => {
      response.writeHead(200).end();
      waiting.get((JSON.parse(body) as { n: string }).n)?.();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const destination = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hop`;
  const qstash = await startQStashServer({ redisUrl, token, currentSigningKey: secret(), nextSigningKey: secret(), keyPrefix: `bench-hop-${secret()}:` });
  try {
    const client = new Client({ baseUrl: qstash.url, token });
    const samples: number[] = [];
    for (const i of range(messages + 1)) {
      const n = String(i);
      const started = performance.now();
      const delivered = new Promise<void>((resolve) => waiting.set(n, resolve));
      await client.publishJSON({ url: destination, body: { n }, retries: 0 });
      await delivered;
      if (i > 0) samples.push(performance.now() - started); // the first one opens connections
    }
    samples.sort((a, b) => a - b);
    return { tasks: messages, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), maxMs: samples[samples.length - 1] ?? Number.NaN };
  } finally {
    await qstash.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}
