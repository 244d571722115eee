/**
 * Command line: node --import tsx dev/balancer-main.ts --port N --backend URL [--backend URL ...]
 * The local balancer (balancer.ts) as a process of its own, as Cloudflare's edge is a host apart from
 * the Workers and from Upstash and QStash: sharing the stack host's event loop with the REST and
 * QStash dev servers, it made two worker processes slower than one. Prints "listening <url>" once it
 * listens; SIGTERM closes it.
 */
import { parseArgs } from "node:util";
import { startBalancer } from "./balancer";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    backend: { type: "string", multiple: true, default: [] },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || values.backend.length === 0) {
  console.error("usage: balancer-main.ts --port N --backend URL [--backend URL ...]");
  process.exit(2);
}
// A backend that is down (killed, restarting on its port) refuses the connection and the next is tried.
const backends = values.backend;
const balancer = await startBalancer(port, () => backends);
process.stdout.write(`listening ${balancer.url}\n`);
process.once("SIGTERM", () => void balancer.close().then(() => process.exit(0)));
