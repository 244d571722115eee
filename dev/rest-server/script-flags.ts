/**
 * Upstash's `#!lua flags=allow-key-locking` on a redis-server 7.0 that refuses the flag ("Unexpected
 * flag in script shebang"). A flagged script is rewritten before Redis sees it:
 * - the flag leaves the shebang (the other flags, such as no-writes, stay);
 * - a guard goes in front of the first line of the body (so line numbers in errors stay true): it
 *   shadows `redis` with a table whose call/pcall refuse a key the script did not declare in KEYS,
 *   as Upstash does under key locking ("a key built inside the script ... is rejected outright").
 * Redis caches the rewritten body under its own SHA-1, while clients call the SHA-1 of what they
 * sent: the two are mapped both ways (EVALSHA and SCRIPT EXISTS in, SCRIPT LOAD's reply out). A SHA
 * not seen since this server started goes through unchanged; Redis answers NOSCRIPT and the client
 * falls back to EVAL, which teaches the mapping, exactly as after a restart on Upstash.
 */
import { createHash } from "node:crypto";
import type { RedisCommand } from "./commands";
import { RECORD_SIZE_EXCEEDED, type OverLimit } from "./record-size";
import type { RawReply } from "./reply";

export const KEY_LOCKING_FLAG = "allow-key-locking";

const SHEBANG = /^#!lua([^\n]*)\n/;

/** Commands whose arguments from the second on are all keys; the others take one key, their first argument. */
const ALL_KEYS = ["DEL", "UNLINK", "EXISTS", "TOUCH", "MGET", "WATCH", "SINTER", "SUNION", "SDIFF", "PFCOUNT"];
/**
 * Commands without a key. PUBLISH names a channel, not a key: Redis gives it no key specs (so
 * nothing for key locking to lock), and channels live apart from the keyspace.
 */
const NO_KEY = ["TIME", "PING", "ECHO", "INFO", "DBSIZE", "LASTSAVE", "RANDOMKEY", "ROLE", "LOLWUT", "PUBLISH"];

const luaSet = (names: Iterable<string>) => `{${[...names].map((n) => `[${JSON.stringify(n)}] = true`).join(", ")}}`;

/**
 * One line, put before the script's first body line so that its line numbers do not move. Only a
 * multi-key command pays for collecting its arguments; the others check their first argument. With
 * keys at the record-size limit, a command that may grow one of them is refused where it stands, as
 * Upstash refuses it: the script's earlier writes stay (redis.pcall answers with the error instead).
 */
function guard(over?: OverLimit): string {
  const limit = over ? `local over, growing = ${luaSet(over.keys)}, ${luaSet(over.growing)} ` : "local over, growing = {}, {} ";
  return (
    `local redis = (function(r, keys) local declared = {} for _, k in ipairs(keys) do declared[k] = true end ` +
    `local all, none = ${luaSet(ALL_KEYS)}, ${luaSet(NO_KEY)} ${limit}` +
    `local function refuse(k) error("ERR ${KEY_LOCKING_FLAG}: the script touches key '" .. tostring(k) .. "', which it did not declare in KEYS", 0) end ` +
    `local function check(name, first, ...) local cmd = string.upper(tostring(name)) if none[cmd] or first == nil then return end ` +
    `if not declared[tostring(first)] then refuse(first) end if all[cmd] then for _, k in ipairs({...}) do ` +
    `if not declared[tostring(k)] then refuse(k) end end end ` +
    `if growing[cmd] and over[tostring(first)] then error("${RECORD_SIZE_EXCEEDED}", 0) end end ` +
    `return setmetatable({call = function(...) check(...) return r.call(...) end, pcall = function(...) local ok, e = pcall(check, ...) if not ok then return {err = e} end return r.pcall(...) end}, {__index = r}) end)(redis, KEYS); `
  );
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** The body Redis 7.0 runs for a script that carries the flag; undefined when it does not. */
export function rewriteForRedis(source: string, over?: OverLimit): string | undefined {
  const shebang = SHEBANG.exec(source);
  if (!shebang) return undefined;
  const flagsText = /\sflags=(\S*)/.exec(shebang[1]!);
  const flags = flagsText ? flagsText[1]!.split(",").filter((f) => f !== "") : [];
  if (!flags.includes(KEY_LOCKING_FLAG)) return undefined;
  const kept = flags.filter((f) => f !== KEY_LOCKING_FLAG);
  const rest = shebang[1]!.replace(/\sflags=\S*/, "");
  return `#!lua${rest}${kept.length > 0 ? ` flags=${kept.join(",")}` : ""}\n${guard(over)}${source.slice(shebang[0].length)}`;
}

export class ScriptFlags {
  /** Client SHA-1 → SHA-1 of the rewritten body, and back. */
  private readonly toRedis = new Map<string, string>();
  private readonly toClient = new Map<string, string>();
  /** Client SHA-1s of scripts flagged no-writes (they can never grow a key). */
  private readonly noWrites = new Set<string>();
  /** Client SHA-1 → the text the client sent, for the body that refuses writes over the limit. */
  private readonly sources = new Map<string, string>();

  private learn(source: string): string | undefined {
    const rewritten = rewriteForRedis(source);
    if (rewritten === undefined) return undefined;
    const theirs = sha1(source);
    const ours = sha1(rewritten);
    if (/^#!lua[^\n]*\sflags=\S*\bno-writes\b/.test(source)) this.noWrites.add(theirs);
    this.toRedis.set(theirs, ours);
    this.toClient.set(ours, theirs);
    this.sources.set(theirs, source);
    return rewritten;
  }

  /** The text of a flagged script that a script run calls for, when this server has seen it. */
  private sourceOf(command: RedisCommand): string | undefined {
    const first = String(command.args[0] ?? "");
    if (command.name === "EVAL" || command.name === "EVAL_RO") return rewriteForRedis(first) === undefined ? undefined : first;
    if (command.name === "EVALSHA" || command.name === "EVALSHA_RO") return this.sources.get(first.toLowerCase());
    return undefined;
  }

  /** Whether the server can refuse this script's writes to keys over the limit where they stand (its guard can). */
  guards(command: RedisCommand): boolean {
    return this.sourceOf(command) !== undefined;
  }

  /**
   * The command as Redis should receive it. With keys at the record-size limit, a flagged script
   * runs as EVAL of a body whose guard knows them (only then: that body is sent in full each time).
   */
  forward(command: RedisCommand, over?: OverLimit): RedisCommand {
    const { name, args } = command;
    if (over && over.keys.size > 0) {
      const source = this.sourceOf(command);
      if (source !== undefined) {
        this.learn(source);
        return { name: name.endsWith("_RO") ? "EVAL_RO" : "EVAL", args: [rewriteForRedis(source, over)!, ...args.slice(1)] };
      }
    }
    if ((name === "EVAL" || name === "EVAL_RO") && args.length > 0) {
      const rewritten = this.learn(String(args[0]));
      return rewritten === undefined ? command : { name, args: [rewritten, ...args.slice(1)] };
    }
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && args.length > 0) {
      const ours = this.toRedis.get(String(args[0]).toLowerCase());
      return ours === undefined ? command : { name, args: [ours, ...args.slice(1)] };
    }
    if (name === "SCRIPT" && args.length > 1) {
      const sub = String(args[0]).toUpperCase();
      if (sub === "LOAD") {
        const rewritten = this.learn(String(args[1]));
        return rewritten === undefined ? command : { name, args: [args[0]!, rewritten] };
      }
      if (sub === "EXISTS") return { name, args: [args[0]!, ...args.slice(1).map((sha) => this.toRedis.get(String(sha).toLowerCase()) ?? sha)] };
    }
    return command;
  }

  /** Whether a script run (EVAL, EVALSHA) is of a script flagged no-writes, as far as this server has seen it. */
  readOnly(command: RedisCommand): boolean {
    const first = String(command.args[0] ?? "");
    if (command.name === "EVALSHA" || command.name === "EVALSHA_RO") return this.noWrites.has(first.toLowerCase());
    return /^#!lua[^\n]*\sflags=\S*\bno-writes\b/.test(first);
  }

  /** The reply as the client should see it: SCRIPT LOAD answers with the SHA-1 of what was sent. */
  reply(command: RedisCommand, reply: RawReply): RawReply {
    if (command.name !== "SCRIPT" || String(command.args[0]).toUpperCase() !== "LOAD" || reply instanceof Error || reply == null) return reply;
    if (Array.isArray(reply) || typeof reply === "number") return reply;
    const theirs = this.toClient.get(reply.toString());
    return theirs ?? reply;
  }
}
