/**
 * A Redis Cluster of masters on loopback, from Debian's redis-server (no redis-cli --cluster create):
 * each node starts cluster-enabled on a free port with a free bus port, the 16,384 slots are split
 * into equal ranges with CLUSTER ADDSLOTSRANGE, the first node meets the others with CLUSTER MEET,
 * and the cluster is ready once every node reports cluster_state:ok and knows every other node.
 * No replicas: the local stack needs the routing and the CROSSSLOT refusals, not failover.
 */
import { Redis } from "ioredis";
import { freePort, startRedisServer, type RedisServerHandle } from "./redis-server";

export const CLUSTER_SLOTS = 16_384;

export interface RedisClusterHandle {
  nodes: RedisServerHandle[];
  /** redis://127.0.0.1:port of every master, in slot order (the first serves slot 0). */
  urls: string[];
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Masters, 3 by default (the smallest cluster redis-cli would create). */
  masters?: number;
  /** How long to wait for cluster_state:ok (default 20 s). */
  readyTimeoutMs?: number;
}

/** The slot ranges of `masters` nodes: [first, last] each, together covering 0..16383. */
export function slotRanges(masters: number): [number, number][] {
  return Array.from({ length: masters }, (_, i) => [
    Math.floor((i * CLUSTER_SLOTS) / masters),
    Math.floor(((i + 1) * CLUSTER_SLOTS) / masters) - 1,
  ]);
}

function clusterInfo(text: string): Record<string, string> {
  return Object.fromEntries(text.split("\r\n").filter((line) => line.includes(":")).map((line) => line.split(":", 2) as [string, string]));
}

async function waitUntilReady(clients: Redis[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const infos = await Promise.all(clients.map(async (client) => clusterInfo(String(await client.call("CLUSTER", "INFO")))));
    const ready = infos.every(
      (info) => info.cluster_state === "ok" && Number(info.cluster_known_nodes) === clients.length && Number(info.cluster_slots_ok) === CLUSTER_SLOTS,
    );
    if (ready) return;
    last = infos.map((info) => `${info.cluster_state}/${info.cluster_known_nodes} nodes`).join(", ");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the Redis Cluster did not reach cluster_state:ok within ${timeoutMs} ms (${last})`);
}

/** Starts the masters, assigns the slots, joins the nodes and waits until the cluster serves every slot. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const nodes: RedisServerHandle[] = [];
  const clients: Redis[] = [];
  const stop = async () => {
    clients.forEach((client) => client.disconnect());
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    const busPorts = await Promise.all(Array.from({ length: masters }, () => freePort()));
    nodes.push(...(await Promise.all(busPorts.map((clusterBusPort) => startRedisServer({ clusterBusPort })))));
    clients.push(...nodes.map((node) => new Redis(node.url, { lazyConnect: false, maxRetriesPerRequest: 2 })));
    const ranges = slotRanges(masters);
    await Promise.all(clients.map((client, i) => client.call("CLUSTER", "ADDSLOTSRANGE", ranges[i]![0], ranges[i]![1])));
    for (let i = 1; i < masters; i++) await clients[0]!.call("CLUSTER", "MEET", "127.0.0.1", nodes[i]!.port, busPorts[i]!);
    await waitUntilReady(clients, options.readyTimeoutMs ?? 20_000);
    clients.forEach((client) => client.disconnect());
    clients.length = 0;
    return { nodes, urls: nodes.map((node) => node.url), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
