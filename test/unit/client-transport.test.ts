/**
 * The client's retries cover the whole answer: a server that dies after sending 200 and half its
 * body ends the read with "TypeError: terminated"; an idempotent request is sent again and
 * succeeds, one that is not idempotent fails as it must (it may have been carried out).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTransport } from "../../src/client/http";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server whose first `cut` answers are 200 with half a JSON body, then the socket destroyed. */
async function cuttingServer(cut: number): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  server = createServer((request, response) => {
    requests++;
    const body = JSON.stringify({ id: "t1", status: "succeeded", padding: "x".repeat(64 * 1024) });
    response.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
    if (requests <= cut) {
      response.write(body.slice(0, 1_000), () => request.socket.destroy());
      return;
    }
    response.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, requests: () => requests };
}

describe("client transport", () => {
  it("retries an idempotent request whose OK body was cut off", async () => {
    const { url, requests } = await cuttingServer(2);
    const transport = createTransport({ url, token: "t", retries: 3 });
    await expect(transport.request<{ id: string }>("GET", "/v1/tasks/t1")).resolves.toMatchObject({ id: "t1", status: "succeeded" });
    // The fault happened: two answers were cut before the third came whole.
    expect(requests()).toBe(3);
  });

  it("does not repeat a request that is not idempotent", async () => {
    const { url, requests } = await cuttingServer(1);
    const transport = createTransport({ url, token: "t", retries: 3 });
    await expect(transport.request("POST", "/v1/jobs", { fn: "x" }, { idempotent: false })).rejects.toThrow(/terminated/);
    expect(requests()).toBe(1);
  });
});
