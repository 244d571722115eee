/**
 * A lean HTTP/1.1 client connection for the load client (load-client.ts): one kept-alive socket, one
 * request at a time, requests written as one string and answers parsed from Content-Length or
 * chunked framing. node:http's client spent 0.3–0.5 ms of CPU a request here (its parser, agent
 * and stream objects), a third of what a single enqueue costs the whole stack, and it shares the
 * stack's two cores; load generators (wrk, autocannon) write raw HTTP for the same reason.
 * What the Worker receives is an ordinary HTTP/1.1 request with the same headers and body.
 */
import { connect, type Socket } from "node:net";

export interface RawAnswer {
  status: number;
  text: string;
}

const HEAD_END = Buffer.from("\r\n\r\n");

export class RawConnection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (answer: RawAnswer) => void; reject: (error: Error) => void } | undefined;

  constructor(private readonly host: string, private readonly port: number) {}

  /** Sends one request (headers by name, lower case) and resolves with its status and body. */
  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawAnswer> {
    if (this.waiting) return Promise.reject(new Error("one request at a time on a RawConnection"));
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    if (body !== undefined) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
    const socket = this.open();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(`${head}\r\n${body ?? ""}`);
    });
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }

  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    // a socket this connection closed (an answer said "connection: close") may report it late
    const fail = (error: Error) => {
      if (this.socket !== socket) return;
      const waiting = this.waiting;
      this.waiting = undefined;
      this.socket = undefined;
      waiting?.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("the connection closed before the answer")));
    this.socket = socket;
    return socket;
  }

  /** Completes the waiting request once its whole answer is buffered. */
  private parse(): void {
    const headEnd = this.buffer.indexOf(HEAD_END);
    if (headEnd < 0 || !this.waiting) return;
    const head = this.buffer.toString("latin1", 0, headEnd);
    const status = Number(head.slice(9, 12));
    const bodyStart = headEnd + 4;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
    let body: Buffer | undefined;
    let end = 0;
    if (length !== undefined) {
      end = bodyStart + Number(length);
      if (this.buffer.length >= end) body = this.buffer.subarray(bodyStart, end);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      [body, end] = dechunk(this.buffer, bodyStart) ?? [undefined, 0];
    } else {
      throw new Error(`an answer with neither Content-Length nor chunked framing: ${head.slice(0, 200)}`);
    }
    if (!body) return;
    const text = body.toString("utf8");
    const closes = /\r\nconnection:\s*close/i.test(head);
    this.buffer = this.buffer.subarray(end);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (closes) this.close();
    waiting.resolve({ status, text });
  }
}

/** A chunked body starting at `from`, and where it ends; undefined until all of it arrived. */
function dechunk(buffer: Buffer, from: number): [Buffer, number] | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buffer.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buffer.toString("latin1", at, lineEnd), 16);
    const dataEnd = lineEnd + 2 + size;
    if (buffer.length < dataEnd + 2) return undefined;
    if (size === 0) return [Buffer.concat(parts), dataEnd + 2];
    parts.push(buffer.subarray(lineEnd + 2, dataEnd));
    at = dataEnd + 2;
  }
}
