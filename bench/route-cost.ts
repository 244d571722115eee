/**
 * `node --import tsx bench/route-cost.ts [--requests 2000] [--rounds 2]`: workerd's CPU a request for
 * a few routes of edgeq on one Worker process of the local stack (cron off), 20 clients on
 * kept-alive connections (raw-http.ts), so that a single enqueue's cost in the Worker splits into
 * the harness (`/health`), reading and validating a body (an enqueue refused with 400), one Redis
 * read (a task that does not exist), and an enqueue accepted into a paused queue (its coalesced
 * script call, no invocation). Read from /proc; rounds alternate the routes so that the machine's
 * load falls on all alike.
 */
import { parseArgs } from "node:util";
import { startStack } from "../dev/stack";
import { RawConnection } from "./raw-http";
import { treeCpuMs } from "./process-tree";

const { values } = parseArgs({ options: { requests: { type: "string", default: "2000" }, rounds: { type: "string", default: "2" } } });
const REQUESTS = Number(values.requests);
const CLIENTS = 20;

const stack = await startStack({ workers: 1, cronEverySeconds: 0, quiet: true });
const worker = stack.workers[0]!;
const headers = { authorization: `Bearer ${stack.info.apiToken}`, "content-type": "application/json" };
const paused = "route-cost-paused";

const ROUTES: { name: string; method: string; path: string; body?: string; status: number }[] = [
  { name: "GET /health", method: "GET", path: "/health", status: 200 },
  { name: "enqueue refused (unknown fn, 400)", method: "POST", path: `/v1/queues/${paused}/tasks`, body: JSON.stringify({ fn: "nope", input: 1 }), status: 400 },
  { name: "GET a task that does not exist (one Redis read, 404)", method: "GET", path: "/v1/tasks/none", status: 404 },
  { name: "enqueue one echo task into a paused queue (202)", method: "POST", path: `/v1/queues/${paused}/tasks`, body: JSON.stringify({ fn: "echo", input: 1 }), status: 202 },
];

/** workerd CPU ms a request for REQUESTS requests of one route. */
async function measure(route: (typeof ROUTES)[number]): Promise<number> {
  const { hostname, port } = new URL(worker.url);
  let left = REQUESTS;
  const before = treeCpuMs(worker.pid).workerd ?? 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const connection = new RawConnection(hostname, Number(port));
    try {
      while (left-- > 0) {
        const answer = await connection.request(route.method, route.path, headers, route.body);
        if (answer.status !== route.status) throw new Error(`${route.name} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      }
    } finally {
      connection.close();
    }
  }));
  return ((treeCpuMs(worker.pid).workerd ?? 0) - before) / REQUESTS;
}

try {
  const pause = await fetch(`${worker.url}/v1/queues/${paused}/pause`, { method: "POST", headers });
  if (!pause.ok) throw new Error(`pause answered ${pause.status}`);
  for (const route of ROUTES) await measure(route); // warm-up: the first requests compile the code paths
  const runs = new Map<string, number[]>(ROUTES.map((route) => [route.name, []]));
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const route of ROUTES) runs.get(route.name)!.push(await measure(route));
  }
  console.log(`\n| route (${REQUESTS} requests, ${CLIENTS} clients) | workerd CPU ms a request, each round |\n|---|---|`);
  for (const [name, list] of runs) console.log(`| ${name} | ${list.map((ms) => ms.toFixed(3)).join(", ")} |`);
} finally {
  await stack.stop();
}
process.exit(0);
