/**
 * Payloads are JSON text end to end: the queue stores the caller's JSON as is, so the Redis client
 * should not (de)serialize for us (`automaticDeserialization: false`; `responseEncoding: false` also
 * saves the base64 step). Decoding tolerates a client with automatic deserialization on: script
 * replies hold records (never valid JSON) and ids (restored exactly by String(), see `text`).
 *
 * A task record is one hash value: `state "\t" head "\n" input ["\n" result ["\n" errors]]`.
 * The state segment holds what claims and settles change (StateField order, `|`-separated, trailing
 * empty fields dropped, times in base 36), so a script rewrites ~30 characters and carries the rest
 * over as is; the head holds what never changes (HeadField). A queued task with an 80-byte input
 * stays within a 112-byte allocation. JSON.stringify never emits a raw newline or tab, so they
 * safely separate the parts.
 */
import { ErrorCode, ValidationError } from "./errors";

export enum StateField {
  State,
  Attempts,
  Priority,
  TimeoutMs,
  MaxAttempts,
  RunAt,
  StartedAt,
  LeaseUntil,
  KeepMs,
  FinishedAt,
  ExpiresAt,
}

export enum HeadField {
  CreatedAt,
  Fn,
  Queue,
  JobId,
  DedupKey,
  /** flowControl as `<parallelism>,<rate>,<periodMs>,<escaped key>` (flow/control.ts), "" none. */
  Flow,
}

/** Radix of every time in a record (and of sweep and dedup entries): base 36 ms, as the scripts write them. */
export const TIME_RADIX = 36;
/** Between the attempt number and the claim time in a lease token (see leaseTokenOf). */
export const LEASE_TOKEN_SEPARATOR = ".";

export type StateLetter = "q" | "d" | "r" | "s" | "x" | "c";

export interface DecodedRecord {
  state: string[];
  head: string[];
  input: string;
  result: string;
  errors: string;
}

export function toBase36(n: number): string {
  return Math.floor(n).toString(TIME_RADIX);
}

export function fromBase36(s: string | undefined): number | null {
  return s ? parseInt(s, TIME_RADIX) : null;
}

/** A reply element as text: with automatic deserialization on, "123" arrives as 123 and String() restores it. */
export function text(value: unknown): string {
  return typeof value === "string" ? value : String(value);
}

/** dedupKey is free text: keep `|`, `%` and newlines out of the header. */
export function escapeField(value: string): string {
  return value.replace(/[%|\n]/g, (c) => (c === "%" ? "%25" : c === "|" ? "%7C" : "%0A"));
}

export function unescapeField(value: string): string {
  return value.replace(/%(25|7C|0A)/g, (_, code: string) => (code === "25" ? "%" : code === "7C" ? "|" : "\n"));
}

function rejectNonJson(field: string, what: string): never {
  throw new ValidationError(ErrorCode.NotJson, field, `${what} cannot be represented in JSON`);
}

/**
 * JSON.stringify silently drops functions and symbols, turns NaN into null and Maps into {}; a queue
 * that did so would run tasks on inputs the caller never sent. Refuse them instead.
 */
export function encodeJson(value: unknown, field: string): string {
  const replacer = (_key: string, v: unknown): unknown => {
    switch (typeof v) {
      case "function":
        return rejectNonJson(field, "a function");
      case "symbol":
        return rejectNonJson(field, "a symbol");
      case "bigint":
        return rejectNonJson(field, "a BigInt");
      case "number":
        return Number.isFinite(v) ? v : rejectNonJson(field, String(v));
      case "object":
        if (v instanceof Map || v instanceof Set) return rejectNonJson(field, v instanceof Map ? "a Map" : "a Set");
        return v;
      default:
        return v;
    }
  };
  let json: string | undefined;
  try {
    json = JSON.stringify(value, replacer);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(ErrorCode.NotJson, field, `not JSON-serializable (${(error as Error).message})`);
  }
  if (json === undefined) rejectNonJson(field, value === undefined ? "undefined" : typeof value);
  return json;
}

export function decodeJson(json: string): unknown {
  return json === "" ? undefined : JSON.parse(json);
}

const encoder = new TextEncoder();

export function byteLength(s: string): number {
  return encoder.encode(s).length;
}

function joinFields(fields: string[]): string {
  let last = fields.length;
  while (last > 1 && fields[last - 1] === "") last--;
  return fields.slice(0, last).join("|");
}

/** Fields joined with `|`, trailing empty ones dropped (Lua's format() does the same). */
export function encodeRecord(state: string[], head: string[], input: string): string {
  return `${joinFields(state)}\t${joinFields(head)}\n${input}`;
}

export function decodeRecord(record: string): DecodedRecord {
  const tab = record.indexOf("\t");
  const first = record.indexOf("\n", tab);
  const state = record.slice(0, tab).split("|");
  const head = record.slice(tab + 1, first).split("|");
  const body = record.slice(first + 1);
  const second = body.indexOf("\n");
  if (second < 0) return { state, head, input: body, result: "", errors: "" };
  const third = body.indexOf("\n", second + 1);
  return {
    state,
    head,
    input: body.slice(0, second),
    result: third < 0 ? body.slice(second + 1) : body.slice(second + 1, third),
    errors: third < 0 ? "" : body.slice(third + 1),
  };
}

export function field<F extends number>(fields: string[], f: F): string {
  return fields[f] ?? "";
}

/**
 * The fencing token of a claim: attempt and claim time. Every claim bumps the attempt, so a token
 * never outlives its claim; an extension keeps it (scripts/pieces/record.ts tokenOf is generated
 * from this layout).
 */
export function leaseTokenOf(state: string[]): string {
  return `${field(state, StateField.Attempts)}${LEASE_TOKEN_SEPARATOR}${field(state, StateField.StartedAt)}`;
}
