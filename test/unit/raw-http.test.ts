/**
 * The load client's lean HTTP/1.1 connection (bench/raw-http.ts) against node:http's server: the
 * request arrives as an ordinary one (method, path, headers, body), answers framed by Content-Length
 * or chunked come back whole even when split over several packets, and one kept-alive connection
 * carries every request until the server closes it.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawConnection } from "../../bench/raw-http";

let server: Server;
let port: number;
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string; socket: number }[] = [];
const sockets = new WeakMap<object, number>();
let nextSocket = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (!sockets.has(request.socket)) sockets.set(request.socket, nextSocket++);
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body, socket: sockets.get(request.socket)! });
      if (request.url === "/chunked") {
        // no Content-Length: node:http frames it chunked; the pieces leave in separate writes
        response.writeHead(200, { "content-type": "text/plain" });
        response.write("één ");
        setTimeout(() => response.end("twee"), 5);
      } else if (request.url === "/close") {
        response.writeHead(200, { connection: "close", "content-length": "3" });
        response.end("bye");
      } else {
        const text = JSON.stringify({ echo: body });
        response.writeHead(202, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        response.end(text);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("RawConnection", () => {
  it("sends an ordinary request and reads answers of either framing over one kept-alive connection", async () => {
    seen.length = 0;
    const connection = new RawConnection("127.0.0.1", port);
    const body = JSON.stringify({ fn: "echo", input: "ü" });
    const first = await connection.request("POST", "/v1/queues/q/tasks", { authorization: "Bearer t", "content-type": "application/json" }, body);
    expect(first).toEqual({ status: 202, text: JSON.stringify({ echo: body }) });
    expect(await connection.request("GET", "/chunked", {})).toEqual({ status: 200, text: "één twee" });
    expect(await connection.request("GET", "/again", {})).toMatchObject({ status: 202 });
    connection.close();
    expect(seen[0]).toMatchObject({ method: "POST", url: "/v1/queues/q/tasks", body, headers: { authorization: "Bearer t", "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } });
    expect(seen.map((request) => request.socket)).toEqual([seen[0]!.socket, seen[0]!.socket, seen[0]!.socket]);
  });

  it("opens a new connection after the server closed one", async () => {
    seen.length = 0;
    const connection = new RawConnection("127.0.0.1", port);
    expect(await connection.request("GET", "/close", {})).toEqual({ status: 200, text: "bye" });
    expect(await connection.request("GET", "/after", {})).toMatchObject({ status: 202 });
    connection.close();
    expect(seen[1]!.socket).not.toBe(seen[0]!.socket);
  });

  it("refuses a second request while one is in flight", async () => {
    const connection = new RawConnection("127.0.0.1", port);
    const first = connection.request("GET", "/chunked", {});
    await expect(connection.request("GET", "/x", {})).rejects.toThrow(/one request at a time/);
    expect((await first).text).toBe("één twee");
    connection.close();
  });
});
