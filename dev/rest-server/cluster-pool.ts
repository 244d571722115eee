/**
 * The REST server over a Redis Cluster: one RedisPool per master, each command sent to the master
 * that serves its keys' slot, as a cluster client does. The masters and their slots are read once,
 * with CLUSTER SLOTS, from the node the server was pointed at (the local cluster never reshards, so
 * a MOVED reply, were one to come, is passed through as the error it is).
 *
 * Refusals are the cluster's own: a command, script or transaction whose keys span slots gets
 * CROSSSLOT; a script that touches a key it did not declare, in another slot, is refused by the
 * node itself. A pipeline is not atomic (on Upstash neither), so its commands are routed one by one
 * and keep their order per node. Keyless commands go to the first master, except the few whose
 * answer is about the whole database, which fan out to every master and merge: KEYS (concatenated),
 * SCAN (one node after the other, the node in the cursor), DBSIZE (summed), RANDOMKEY, FLUSHDB,
 * FLUSHALL, and SCRIPT LOAD/EXISTS/FLUSH (a script is then cached wherever EVALSHA lands).
 */
import type { RedisCommand } from "./commands";
import { RedisPool, TransactionAborted, type CommandRunner, type Settled } from "./pool";
import type { RawReply } from "./reply";
import { CROSSSLOT, commandSlot, keySlot, SLOT_COUNT } from "./slots";

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = "ReplyError"; // what ioredis calls an error Redis answered with: a 400, not a 500
  return error;
}

type FanOut = (pools: RedisPool[], command: RedisCommand) => Promise<RawReply>;

const everyNode = (pools: RedisPool[], command: RedisCommand) => Promise.all(pools.map((pool) => pool.run(command)));

const firstReply: FanOut = async (pools, command) => (await everyNode(pools, command))[0];

/** SCAN over every master in turn; the cursor is `nodeCursor * masters + node`. */
const scan: FanOut = async (pools, command) => {
  const count = BigInt(pools.length);
  let cursor: bigint;
  try {
    cursor = BigInt(String(command.args[0] ?? ""));
  } catch {
    throw replyError("ERR invalid cursor");
  }
  const node = Number(cursor % count);
  const [next, keys] = (await pools[node]!.run({ name: "SCAN", args: [String(cursor / count), ...command.args.slice(1)] })) as [Buffer, RawReply[]];
  const nodeNext = BigInt(String(next));
  const composite = nodeNext !== 0n ? nodeNext * count + BigInt(node) : node + 1 < pools.length ? BigInt(node + 1) : 0n;
  return [composite.toString(), keys];
};

const FAN_OUT: Record<string, FanOut> = {
  KEYS: async (pools, command) => (await everyNode(pools, command)).flat() as RawReply[],
  DBSIZE: async (pools, command) => (await everyNode(pools, command)).reduce<number>((sum, n) => sum + Number(n), 0),
  RANDOMKEY: async (pools, command) => (await everyNode(pools, command)).find((key) => key != null) ?? null,
  FLUSHDB: firstReply,
  FLUSHALL: firstReply,
  SCAN: scan,
};

const SCRIPT_FAN_OUT: Record<string, FanOut> = {
  LOAD: firstReply,
  FLUSH: firstReply,
  EXISTS: async (pools, command) => {
    const replies = (await everyNode(pools, command)) as number[][];
    return replies[0]!.map((_, i) => (replies.every((reply) => reply[i] === 1) ? 1 : 0));
  },
};

function fanOutOf(command: RedisCommand): FanOut | undefined {
  if (command.name === "SCRIPT") return SCRIPT_FAN_OUT[String(command.args[0] ?? "").toUpperCase()];
  return FAN_OUT[command.name];
}

export class ClusterPool implements CommandRunner {
  private pools: RedisPool[] = [];
  private masters: string[] = [];
  /** Index in `pools` of the master serving each slot. */
  private readonly owner = new Uint8Array(SLOT_COUNT);

  constructor(
    private readonly seedUrl: string,
    private readonly size: number,
  ) {}

  /** Reads the masters and their slots from the seed node, connects to each, and checks that every slot is served. */
  async ready(): Promise<void> {
    const seed = new RedisPool(this.seedUrl, 1);
    let slots: [number, number, [Buffer, number]][];
    try {
      slots = (await seed.run({ name: "CLUSTER", args: ["SLOTS"] })) as typeof slots;
    } finally {
      await seed.close();
    }
    const masters = (this.masters = [...new Set(slots.map(([, , [host, port]]) => `redis://${String(host)}:${port}`))].sort());
    this.pools = masters.map((url) => new RedisPool(url, this.size));
    const served = new Uint8Array(SLOT_COUNT);
    for (const [first, last, [host, port]] of slots) {
      const index = masters.indexOf(`redis://${String(host)}:${port}`);
      this.owner.fill(index, first, last + 1);
      served.fill(1, first, last + 1);
    }
    if (served.includes(0)) throw new Error(`the Redis Cluster at ${this.seedUrl} does not serve every slot (CLUSTER SLOTS)`);
    await Promise.all(this.pools.map((pool) => pool.ready()));
  }

  /** redis:// URLs of the masters, in the order `masterOf` counts them. */
  masterUrls(): string[] {
    return this.masters;
  }

  /** Index in `masterUrls()` of the master serving a key. */
  masterOf(key: string): number {
    return this.owner[keySlot(key)]!;
  }

  /** The master for a command's keys (the first master for a keyless one), or the CROSSSLOT error. */
  private target(command: RedisCommand): RedisPool | Error {
    const slot = commandSlot(command);
    if (slot === "cross") return replyError(CROSSSLOT);
    return this.pools[slot === undefined ? 0 : this.owner[slot]!]!;
  }

  async run(command: RedisCommand): Promise<RawReply> {
    const fanOut = fanOutOf(command);
    if (fanOut) return fanOut(this.pools, command);
    const target = this.target(command);
    if (target instanceof Error) throw target;
    return target.run(command);
  }

  async pipeline(commands: readonly RedisCommand[]): Promise<Settled[]> {
    const results = new Array<Settled>(commands.length);
    const perNode = new Map<RedisPool, number[]>();
    const pending: Promise<void>[] = [];
    commands.forEach((command, i) => {
      const target = fanOutOf(command) ? undefined : this.target(command);
      if (target === undefined) pending.push(this.run(command).then((r) => void (results[i] = r), (e: Error) => void (results[i] = e)));
      else if (target instanceof Error) results[i] = target;
      else if (perNode.has(target)) perNode.get(target)!.push(i);
      else perNode.set(target, [i]);
    });
    for (const [pool, indexes] of perNode) {
      pending.push(pool.pipeline(indexes.map((i) => commands[i]!)).then((replies) => indexes.forEach((at, j) => (results[at] = replies[j]))));
    }
    await Promise.all(pending);
    return results;
  }

  /** A transaction runs on one master, so its keys must share one slot, as MULTI on a cluster requires. */
  async transaction(commands: readonly RedisCommand[]): Promise<Settled[]> {
    const slots = new Set(commands.map(commandSlot).filter((slot) => slot !== undefined));
    if (slots.has("cross") || slots.size > 1) throw new TransactionAborted(CROSSSLOT);
    const [slot] = slots as Set<number>;
    return this.pools[slot === undefined ? 0 : this.owner[slot]!]!.transaction(commands);
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}
