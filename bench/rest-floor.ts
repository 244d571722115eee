/**
 * The transport's own ceiling: how many trivial requests (PING) per second @upstash/redis gets through
 * the REST server, and the CPU each process spends per request. A batch of B tasks needs about two
 * requests (enqueue, settle-and-claim), so edgeq cannot drain faster than B × this rate / 2 however
 * fast its scripts are.
 */
import type { CpuProbe, CpuShare } from "./cpu";
import { benchRedis, type RestTarget } from "./edgeq-client";
import { range } from "./workload";

export interface RestFloor {
  loops: number;
  requestsPerSecond: number;
  /** CPU milliseconds per 1,000 requests and how busy each process was. */
  cpu: CpuShare;
}

export async function restFloor(target: RestTarget, cpu: CpuProbe, loops: number, seconds: number): Promise<RestFloor> {
  const clients = range(loops).map(() => benchRedis(target));
  // Connections open and the client's hot paths compiled before timing.
  for (let i = 0; i < 300; i++) await clients[i % loops]!.ping();
  let requests = 0;
  const cpuDone = cpu.start();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline) {
        await client.ping();
        requests += 1;
      }
    }),
  );
  const elapsed = performance.now() - started;
  return { loops, requestsPerSecond: (requests * 1000) / elapsed, cpu: cpuDone(requests) };
}
