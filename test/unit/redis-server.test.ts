import { describe, expect, it } from "vitest";
import { createConnection } from "node:net";
import { inject } from "vitest";

describe("test stack", () => {
  it("runs a private redis-server that answers PING", async () => {
    const port = inject("redisPort");
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ port, host: "127.0.0.1" }, () => socket.write("PING\r\n"));
      socket.once("data", (data) => {
        resolve(String(data));
        socket.end();
      });
      socket.once("error", reject);
    });
    expect(reply).toBe("+PONG\r\n");
  });
});
