import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBalancer, type Balancer } from "../../dev/balancer";
import { freePort } from "../../dev/redis-server";

// A worker process killed mid-answer (the chaos test's kills) must end the client's request with an
// error it can retry, not leave it waiting for the rest of a body that will never come.
describe("balancer when a backend dies mid-answer", () => {
  let backend: Server;
  let balancer: Balancer;
  beforeAll(async () => {
    backend = createServer((request, response) => {
      if (request.url === "/whole") return void response.end("whole answer");
      response.writeHead(200, { "content-length": "100" });
      response.write("the first part ");
      setTimeout(() => response.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    balancer = await startBalancer(await freePort(), () => [url]);
  });
  afterAll(async () => {
    await balancer.close();
    backend.closeAllConnections();
    await new Promise((resolve) => backend.close(resolve));
  });

  it("passes a whole answer through", async () => {
    const response = await fetch(`${balancer.url}/whole`);
    expect(await response.text()).toBe("whole answer");
  });

  it("cuts the client's connection when the backend's answer breaks off", async () => {
    const response = await fetch(`${balancer.url}/broken`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  }, 5_000);
});
