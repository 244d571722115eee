/**
 * A stand-in for the Worker's POST /v1/work in Node: a loopback HTTP server that checks each
 * QStash delivery's signature with the real Receiver (against the raw body and the exact URL) and
 * then runs the real push handler. Lets a test watch a push chain drain a queue end to end.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { Receiver } from "@upstash/qstash";
import { inject } from "vitest";
import type { Env } from "../../src/env";
import { functions } from "../../functions/index";
import type { RuntimeOptions } from "../../src/runtime/runtime";
import { handlePush } from "../../src/runtime/push";
import type { BatchReport, PushMessage } from "../../src/runtime/types";
import { testEnv } from "./runtime-env";

/** Runs the shipped functions (functions/index.ts) unless `options.functions` says otherwise. */
export async function startPushWorker(overrides: Partial<RuntimeOptions> = {}, prefix?: string) {
  const options: RuntimeOptions = { functions, ...overrides };
  const receiver = new Receiver({
    currentSigningKey: inject("qstashCurrentSigningKey"),
    nextSigningKey: inject("qstashNextSigningKey"),
  });
  const reports: BatchReport[] = [];
  const rejected: string[] = [];
  let active = 0;
  let maxActive = 0;
  // A random base path, so that what the signature's subject names is unique to this worker.
  const basePath = `/${randomBytes(6).toString("hex")}`;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = `${publicUrl}${(request.url ?? "").slice(basePath.length)}`;
      try {
        await receiver.verify({ signature: String(request.headers["upstash-signature"]), body, url });
      } catch (error) {
        rejected.push(String(error));
        response.writeHead(401).end();
        return;
      }
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        const report = await handlePush(env, JSON.parse(body) as PushMessage, options);
        reports.push(report);
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(report));
      } catch (error) {
        response.writeHead(500).end(String(error));
      } finally {
        active--;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${basePath}`;
  const env: Env = testEnv(publicUrl, prefix);
  return {
    env,
    reports,
    rejected,
    maxConcurrent: () => maxActive,
    /**
     * The queue's reports once `enough` accepts them, or at `withinMs`: a task's settle (or a fold)
     * lands in Redis before its invocation answers, so a test that saw the work done may not have
     * the report yet.
     */
    async reportsOf(queue: string, enough: (mine: BatchReport[]) => boolean, withinMs = 5_000): Promise<BatchReport[]> {
      const deadline = Date.now() + withinMs;
      for (;;) {
        const mine = reports.filter((report) => report.queue === queue);
        if (enough(mine) || Date.now() > deadline) return mine;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
