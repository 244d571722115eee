/**
 * Completion callbacks through the whole local stack: a task and a job started over HTTP with a
 * callback, run by the stack's Worker (workerd), and POSTed by the stack's QStash dev server to a receiver that
 * verifies each delivery with @upstash/qstash's Receiver.
 */
import { Receiver as SignatureReceiver } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../support/qstash-receiver";
import { freshQueue, useStack } from "./stack-fixture";

const local = useStack({ cronEverySeconds: 5 });
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

async function verifiedBody(path: string): Promise<Record<string, unknown>> {
  const [delivery] = await receiver.waitFor(path, 1, 30_000);
  const { qstashCurrentSigningKey, qstashNextSigningKey } = local.stack.info;
  const signatures = new SignatureReceiver({ currentSigningKey: qstashCurrentSigningKey, nextSigningKey: qstashNextSigningKey });
  expect(await signatures.verify({ signature: String(delivery!.headers["upstash-signature"]), body: delivery!.body, url: delivery!.url })).toBe(true);
  return JSON.parse(delivery!.body);
}

describe("completion callbacks through the local stack", () => {
  it("a task's final JSON reaches its callback, signed by QStash", async () => {
    const hook = receiver.route();
    const { id } = await local.client.enqueue(freshQueue("cb"), { fn: "echo", input: { e2e: true }, callback: { url: hook.url, headers: { "x-hook": "e2e" } } });
    const body = await verifiedBody(hook.path);
    expect(body).toEqual({ tasks: [expect.objectContaining({ id, status: "succeeded", result: { e2e: true } })] });
    expect(receiver.deliveriesTo(hook.path)[0]?.headers["x-hook"]).toBe("e2e");
  });

  it("a job's callback carries the finished job", async () => {
    const hook = receiver.route();
    const response = await fetch(`${local.stack.info.workerUrl}/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${local.stack.info.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ fn: "estimate-pi", input: { tasks: 6, samples: 1_000 }, queue: freshQueue("cbjob"), callback: { url: hook.url } }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const body = await verifiedBody(hook.path);
    expect(body).toEqual({ jobs: [expect.objectContaining({ id, status: "succeeded", total: 6, done: 6 })] });
  });
});
