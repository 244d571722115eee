/**
 * Redis Cluster's key → slot mapping: CRC16 (XMODEM) of the key's hash tag, or of the whole key,
 * modulo 16,384. The hash tag is the text between the first `{` and the next `}` when it is not
 * empty, so `{orders}:tasks` and `{orders}:ready` share a slot and one script may touch both.
 */
import { getKeyIndexes } from "@ioredis/commands";
import type { Arg, RedisCommand } from "./commands";

export const SLOT_COUNT = 16_384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

export function keySlot(key: Arg): number {
  const bytes = typeof key === "string" ? Buffer.from(key) : key;
  const open = bytes.indexOf(OPEN);
  if (open !== -1) {
    const close = bytes.indexOf(CLOSE, open + 1);
    if (close > open + 1) return crc16(bytes, open + 1, close) % SLOT_COUNT;
  }
  return crc16(bytes, 0, bytes.length) % SLOT_COUNT;
}

/** Subcommands whose second argument is a key, which @ioredis/commands does not list. */
const KEY_SUBCOMMANDS: Record<string, ReadonlySet<string>> = {
  MEMORY: new Set(["USAGE"]),
  OBJECT: new Set(["ENCODING", "FREQ", "IDLETIME", "REFCOUNT"]),
};

/** The keys a command names, as a cluster would route it (none for keyless commands). */
export function commandKeys(command: RedisCommand): Arg[] {
  const sub = KEY_SUBCOMMANDS[command.name];
  if (sub) return sub.has(String(command.args[0] ?? "").toUpperCase()) && command.args[1] !== undefined ? [command.args[1]] : [];
  try {
    return getKeyIndexes(command.name.toLowerCase(), command.args).map((i) => command.args[i]!).filter((key) => key !== undefined);
  } catch {
    return []; // an unknown command or malformed arguments: Redis answers it with its own error
  }
}

/**
 * The one slot of a command's keys; undefined when it has none; "cross" when they span slots, which
 * a cluster refuses with CROSSSLOT.
 */
export function commandSlot(command: RedisCommand): number | "cross" | undefined {
  let slot: number | undefined;
  for (const key of commandKeys(command)) {
    const s = keySlot(key);
    if (slot === undefined) slot = s;
    else if (s !== slot) return "cross";
  }
  return slot;
}

export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
