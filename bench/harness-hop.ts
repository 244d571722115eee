/**
 * `node --import tsx bench/harness-hop.ts [--seconds 3] [--rounds 2]`: what Miniflare's own hops cost
 * workerd, the figures behind dev/miniflare-worker.ts's choices. A bare Worker (no edgeq code) is
 * loaded by 20 clients (load-client.ts) four ways, alternating round after round so that the
 * machine's load falls on all alike:
 *   - through Miniflare's entry worker (its default port) or on a direct socket (unsafeDirectSockets);
 *   - answering at once, or after one subrequest to a local Node server, with Miniflare's
 *     CF-Connecting-IP stripping worker in the subrequest's path (its default) or without it.
 * Prints workerd's CPU milliseconds a request (from /proc) and requests a second for each.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { freePort } from "../dev/redis-server";
import { runLoad } from "./load-client";
import { treeCpuMs } from "./process-tree";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "3" }, rounds: { type: "string", default: "2" } } });

interface Variant {
  name: string;
  subrequest: boolean;
  direct: boolean;
  strip: boolean;
}

const VARIANTS: Variant[] = [
  { name: "answer, through the entry worker", subrequest: false, direct: false, strip: true },
  { name: "answer, direct socket", subrequest: false, direct: true, strip: true },
  { name: "one subrequest, direct socket, CF-Connecting-IP stripped", subrequest: true, direct: true, strip: true },
  { name: "one subrequest, direct socket, no stripping worker", subrequest: true, direct: true, strip: false },
];

const upstream = createServer((_request, response) => {
  response.writeHead(200, { "content-length": "2" });
  response.end("ok");
});
await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;

async function measure(variant: Variant, seconds: number): Promise<{ perSecond: number; workerdMs: number }> {
  const answer = variant.subrequest ? `const sub = await fetch(${JSON.stringify(upstreamUrl)}, { method: "POST", body: "[1]" }); return new Response(await sub.text());` : `return new Response("ok");`;
  const directPort = await freePort();
  const mf = new Miniflare({
    modules: true,
    script: `export default { async fetch() { ${answer} } };`,
    host: "127.0.0.1",
    port: 0,
    stripCfConnectingIp: variant.strip,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: directPort }],
  });
  try {
    const url = variant.direct ? `http://127.0.0.1:${directPort}` : (await mf.ready).origin;
    await mf.ready;
    await runLoad({ kind: "get", url, path: "/", seconds: 0.5, clients: 20 }); // warm-up
    const before = treeCpuMs(process.pid).workerd ?? 0;
    const result = await runLoad({ kind: "get", url, path: "/", seconds, clients: 20 });
    const workerdMs = ((treeCpuMs(process.pid).workerd ?? 0) - before) / result.requests;
    return { perSecond: (result.requests * 1000) / result.wallMs, workerdMs };
  } finally {
    await mf.dispose();
  }
}

const runs = new Map<string, { perSecond: number; workerdMs: number }[]>(VARIANTS.map((v) => [v.name, []]));
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const variant of VARIANTS) {
    const run = await measure(variant, Number(values.seconds));
    runs.get(variant.name)!.push(run);
    console.error(`round ${round}: ${variant.name}: ${Math.round(run.perSecond)} req/s, workerd ${run.workerdMs.toFixed(3)} ms a request`);
  }
}
upstream.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
console.log("\n| bare Worker, 20 clients | workerd CPU ms a request (median) | req/s |\n|---|---|---|");
for (const [name, list] of runs) console.log(`| ${name} | ${median(list.map((r) => r.workerdMs)).toFixed(3)} | ${Math.round(median(list.map((r) => r.perSecond)))} |`);
