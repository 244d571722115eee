/**
 * Upstash's record-size limit: a write that may grow a key already at the limit is refused with
 * "ERR max single record size exceeded"; reads and deletes of it still work (Upstash's
 * troubleshooting page). 100 MB on the Free and Pay-as-you-go plans; tests set 1 MB.
 *
 * Measuring costs commands, so the server never measures in a request's path. It keeps the keys
 * written since the last check (a write is a command Redis flags `denyoom`, i.e. one that may use
 * more memory, or a script, which may write any key it declares) and measures them together every
 * `checkEveryMs` with one pipelined MEMORY USAGE … SAMPLES 5 per key on its own connection: about
 * one command per key written per second, whatever the traffic (a benchmark writing a dozen keys
 * 50,000 times a second pays a dozen MEMORY USAGE a second). Keys over the limit are refused until
 * a check finds them under it again (after deletes). So a key passes the limit by at most what is
 * written to it in one check period, as on Upstash the write that crosses the limit is accepted
 * and the ones after it refused. A script carrying allow-key-locking is refused where it writes to
 * such a key, as on Upstash (its guard, script-flags.ts, is told the keys over the limit); any other
 * script is refused whole, before it runs, when a key it declares is over the limit (a no-writes
 * script never is).
 * MEMORY USAGE samples 5 elements of a hash, list or set: an estimate that can overstate a hash whose
 * fields differ in length many times over, so a key the estimate puts at the limit is measured again
 * exactly (SAMPLES 0) before it is refused: Upstash refuses by the record's size, not a guess at it.
 */
import type { Redis } from "ioredis";
import type { RedisCommand } from "./commands";

export const UPSTASH_MAX_RECORD_BYTES = 100 * 1024 * 1024;
export const RECORD_SIZE_EXCEEDED = "ERR max single record size exceeded";

/** Keys at the limit, and the commands that may grow a key: what a script's guard refuses (script-flags.ts). */
export interface OverLimit {
  keys: ReadonlySet<string>;
  growing: ReadonlySet<string>;
}

interface KeyPositions {
  denyoom: boolean;
  first: number;
  last: number;
  step: number;
}

const SCRIPT_RUNS = new Set(["EVAL", "EVALSHA"]);

export class RecordSizeLimit {
  private readonly positions = new Map<string, KeyPositions>();
  private readonly written = new Set<string>();
  private readonly over = new Set<string>();
  private growing: Set<string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  /** MEMORY USAGE commands sent, so that benchmarks can leave them out of their counts. */
  probes = 0;

  constructor(
    private readonly probe: Redis,
    readonly maxBytes: number,
    private readonly checkEveryMs: number,
    /** Whether a script (by the SHA-1 or text a client sent) is no-writes, or refuses its own writes over the limit. */
    private readonly checksItself: (command: RedisCommand) => boolean,
    /** The connection that can measure a key: on a Redis Cluster, one to the master serving its slot. */
    private readonly probeOf: (key: string) => Redis = () => probe,
  ) {}

  /** Learns every command's key positions and write flag from the server (COMMAND), then starts checking. */
  async start(): Promise<void> {
    const table = (await this.probe.call("COMMAND")) as [string, number, string[], number, number, number][];
    for (const [name, , flags, first, last, step] of table) {
      this.positions.set(name.toUpperCase(), { denyoom: flags.includes("denyoom"), first, last, step });
    }
    this.timer = setInterval(() => void this.check(), this.checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The keys a command may grow; `touched` also lists those it only reads or deletes. */
  private keysOf(command: RedisCommand, growingOnly: boolean): string[] {
    if (SCRIPT_RUNS.has(command.name)) {
      const count = Number(command.args[1]);
      if (growingOnly && this.checksItself(command)) return [];
      return command.args.slice(2, 2 + (Number.isInteger(count) ? count : 0)).map(String);
    }
    const spec = this.positions.get(command.name);
    if (!spec || spec.first <= 0 || (growingOnly && !spec.denyoom)) return [];
    const last = spec.last < 0 ? command.args.length + spec.last + 1 : spec.last;
    const keys: string[] = [];
    for (let i = spec.first; i <= last && i <= command.args.length; i += spec.step || 1) keys.push(String(command.args[i - 1]));
    return keys;
  }

  /** The keys at the limit and the commands that may grow a key, for scripts' guards; undefined when none is. */
  overLimit(): OverLimit | undefined {
    if (this.over.size === 0) return undefined;
    this.growing ??= new Set([...this.positions].filter(([, spec]) => spec.denyoom).map(([name]) => name));
    return { keys: this.over, growing: this.growing };
  }

  /**
   * The refusal for a command that would write to a key at the limit, or undefined. A script this
   * server has not seen is answered NOSCRIPT (as a cache miss may be answered anywhere): the client
   * sends its text with EVAL, and a flagged one then runs with a guard that refuses where it writes.
   */
  refusal(command: RedisCommand): string | undefined {
    if (this.over.size === 0) return undefined;
    if (!this.keysOf(command, true).some((key) => this.over.has(key))) return undefined;
    return command.name === "EVALSHA" ? "NOSCRIPT No matching script. Please use EVAL." : RECORD_SIZE_EXCEEDED;
  }

  /** After commands ran: their keys are measured at the next check (deletes too, so a key can come back under). */
  ran(commands: readonly RedisCommand[]): void {
    for (const command of commands) for (const key of this.keysOf(command, false)) this.written.add(key);
  }

  /** Measures the keys written since the last check; resolves when done (tests await it). */
  check(): Promise<void> {
    if (this.checking) return this.checking;
    if (this.written.size === 0) return Promise.resolve();
    const keys = [...this.written];
    this.written.clear();
    const perProbe = new Map<Redis, string[]>();
    for (const key of keys) {
      const probe = this.probeOf(key);
      const group = perProbe.get(probe);
      if (group) group.push(key);
      else perProbe.set(probe, [key]);
    }
    this.probes += keys.length;
    const measured = [...perProbe].map(async ([probe, group]) => {
      const estimates = await measure(probe, group, "5");
      // a sample of 5 can overstate a skewed hash many times (one long field among short ones), so a
      // key is refused only on an exact count, taken just for the keys the estimate puts at the limit
      const suspects = group.filter((_, i) => estimates[i]! >= this.maxBytes);
      this.probes += suspects.length;
      const exact = new Map(suspects.length > 0 ? (await measure(probe, suspects, "0")).map((bytes, i) => [suspects[i]!, bytes]) : []);
      return group.map((key, i) => [key, exact.get(key) ?? estimates[i]!] as const);
    });
    this.checking = Promise.all(measured)
      .then((groups) => {
        groups.flat().forEach(([key, bytes]) => {
          if (bytes >= this.maxBytes) this.over.add(key);
          else this.over.delete(key);
        });
      })
      .catch(() => keys.forEach((key) => this.written.add(key))) // redis-server away: measure next time
      .finally(() => (this.checking = undefined));
    return this.checking;
  }
}

async function measure(probe: Redis, keys: readonly string[], samples: string): Promise<number[]> {
  const pipeline = probe.pipeline();
  for (const key of keys) pipeline.call("MEMORY", "USAGE", key, "SAMPLES", samples);
  const results = await pipeline.exec();
  return keys.map((_, i) => Number(results?.[i]?.[1] ?? 0));
}
