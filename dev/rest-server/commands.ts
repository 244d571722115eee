/**
 * Request bodies and paths → Redis commands, and the commands Upstash's REST API refuses.
 *
 * A command is `[NAME, ...args]`; the name is upper-cased because ioredis looks up its reply and
 * argument transformers (HGETALL → object, HSET object → pairs) by the lower-case name, and Upstash
 * returns the raw flat arrays.
 */

export type Arg = string | Buffer;

export interface RedisCommand {
  /** Upper-case command name. */
  name: string;
  args: Arg[];
}

/** A malformed request: answered with 400 and `{error}`, nothing executed. */
export class CommandError extends Error {}

// Upstash's REST API has no long-lived connection to block or subscribe on, and it owns the
// connection state (auth, db, transactions), so these are refused with an error reply.
const REFUSED = new Set([
  "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
  "WAIT", "WAITAOF",
  "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR",
  "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH",
  "AUTH", "HELLO", "SELECT", "SWAPDB", "QUIT", "RESET",
  "SYNC", "PSYNC", "REPLICAOF", "SLAVEOF", "SHUTDOWN", "DEBUG",
]);

// CLIENT and SCRIPT run on a pooled connection shared by every request: only subcommands that leave
// its state alone pass (CLIENT REPLY OFF, CLIENT KILL or SCRIPT DEBUG would break the others).
// @upstash/redis sends CLIENT SETINFO through `clientSetinfo()`.
const ALLOWED_SUBCOMMANDS: Record<string, ReadonlySet<string>> = {
  CLIENT: new Set(["SETINFO", "SETNAME", "GETNAME", "ID", "INFO", "LIST"]),
  SCRIPT: new Set(["LOAD", "EXISTS", "FLUSH", "KILL"]),
};

function refusedSubcommand(command: RedisCommand): boolean {
  const allowed = ALLOWED_SUBCOMMANDS[command.name];
  if (allowed === undefined) return false;
  const subcommand = command.args[0];
  return subcommand === undefined || !allowed.has(String(subcommand).toUpperCase());
}

/** XREAD/XREADGROUP are allowed except in their blocking form (a BLOCK option before STREAMS). */
function blocksOnStream(command: RedisCommand): boolean {
  if (command.name !== "XREAD" && command.name !== "XREADGROUP") return false;
  for (const arg of command.args) {
    const word = String(arg).toUpperCase();
    if (word === "STREAMS") return false;
    if (word === "BLOCK") return true;
  }
  return false;
}

/** The error message for a refused command, or undefined when the command may run. */
export function refusal(command: RedisCommand): string | undefined {
  if (REFUSED.has(command.name) || blocksOnStream(command) || refusedSubcommand(command)) {
    const name = refusedSubcommand(command) ? `${command.name} ${String(command.args[0] ?? "")}`.trim() : command.name;
    return `ERR Command is not available: '${name.toLowerCase()}'. Blocking, pub/sub and connection-state commands are not supported by the REST API`;
  }
  return undefined;
}

function toArg(value: unknown, position: number): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
      return String(value);
    default:
      throw new CommandError(`ERR argument ${position} is not a string, number or boolean`);
  }
}

/** One command from its JSON form `["SET", "k", "v", "EX", 100]`. */
export function commandFromJson(value: unknown): RedisCommand {
  if (!Array.isArray(value) || value.length === 0) {
    throw new CommandError("ERR a command must be a non-empty JSON array: [COMMAND, ARG1, ..., ARGN]");
  }
  const name = toArg(value[0], 0).toUpperCase();
  if (name === "") throw new CommandError("ERR empty command name");
  const args = new Array<string>(value.length - 1);
  for (let i = 1; i < value.length; i++) args[i - 1] = toArg(value[i], i);
  return { name, args };
}

/** The commands of a /pipeline or /multi-exec body: a two-dimensional JSON array. */
export function commandsFromJson(value: unknown): RedisCommand[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new CommandError("ERR the body must be a non-empty JSON array of commands: [[COMMAND, ARG1, ...], ...]");
  }
  return value.map(commandFromJson);
}

/**
 * The path form: `/set/k/v` is SET k v; a POST body is appended as the last argument (kept as bytes,
 * so binary values survive); query parameters other than `_token` follow it as `name value` pairs
 * (`/set/k?EX=100` with body v is SET k v EX 100).
 */
export function commandFromPath(pathname: string, query: URLSearchParams | undefined, body: Buffer | undefined): RedisCommand {
  const segments = pathname.split("/").filter((segment) => segment !== "");
  if (segments.length === 0) throw new CommandError("ERR no command in the path");
  let decoded: string[];
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    throw new CommandError("ERR the path is not valid percent-encoding");
  }
  const name = decoded[0]!.toUpperCase();
  const args: Arg[] = decoded.slice(1);
  if (body !== undefined && body.length > 0) args.push(body);
  if (query) {
    for (const [key, value] of query) {
      if (key === "_token") continue;
      args.push(key);
      if (value !== "") args.push(value);
    }
  }
  return { name, args };
}
