/**
 * The record layout in Lua, generated from codec.ts: state field positions (StateField), head field
 * positions (HeadField) and the lease token. A record is
 *   state "\t" head "\n" input ["\n" result ["\n" errors]]
 * Only the short state segment changes on claim and settle: it is parsed (one string.match with NF
 * captures; the padding supplies the trailing empty fields format() drops) and the rest, the body,
 * is carried over as one string.
 */
import { HeadField, LEASE_TOKEN_SEPARATOR, StateField } from "../../codec";
import { luaPiece } from "./index";
import { LUA_FORMAT } from "./format";

/** Lua's name for each state field: F_<name> holds its 1-based position. */
export const STATE_FIELD_LUA: Record<keyof typeof StateField, string> = {
  State: "F_ST",
  Attempts: "F_ATT",
  Priority: "F_PRIO",
  TimeoutMs: "F_TIMEOUT",
  MaxAttempts: "F_MAXATT",
  RunAt: "F_RUNAT",
  StartedAt: "F_STARTED",
  LeaseUntil: "F_LEASE",
  KeepMs: "F_KEEP",
  FinishedAt: "F_FINISHED",
  ExpiresAt: "F_EXPIRES",
};

const STATE_NAMES = Object.keys(STATE_FIELD_LUA) as (keyof typeof StateField)[];

/** A Lua pattern capturing the first `count` state fields of a record (missing trailing ones as ""). */
export function leadingStateFields(count: number): string {
  return JSON.stringify("^([^|\t]*)" + "|?([^|\t]*)".repeat(count - 1));
}

/**
 * A Lua pattern (unquoted) that reads a head from its first field up to the last of `captured`,
 * capturing those (a missing trailing field as ""): the claim and the settle read a head's fields
 * in the match that reads the state, instead of a match each.
 */
export function headFieldsPattern(captured: HeadField[]): string {
  let pattern = "";
  for (let at = 0; at <= Math.max(...captured); at++) pattern += (at > 0 ? "|?" : "") + (captured.includes(at) ? "([^|\n]*)" : "[^|\n]*");
  return pattern;
}

/** A Lua pattern capturing one head field of a body (head "\n" ...). */
function headField(at: HeadField): string {
  return JSON.stringify("^" + "[^|\n]*|".repeat(at) + "([^|\n]*)");
}

export const LUA_RECORD = luaPiece(
  "record",
  { uses: [LUA_FORMAT] },
  String.raw`
local ${STATE_NAMES.map((name) => STATE_FIELD_LUA[name]).join(", ")} = ${STATE_NAMES.map((name) => StateField[name] + 1).join(", ")}
local NF = ${STATE_NAMES.length}
local STATE_PATTERN, STATE_PAD = "^" .. string.rep("([^|]*)|", NF), string.rep("|", NF)
local function parse(rec)
  local tab = string.find(rec, "\t", 1, true)
  return {string.match(string.sub(rec, 1, tab - 1) .. STATE_PAD, STATE_PATTERN)}, string.sub(rec, tab + 1)
end
local function format(h, body)
  local last = NF
  while last > 1 and h[last] == "" do last = last - 1 end
  return table.concat(h, "|", 1, last) .. "\t" .. body
end
-- body = front ["\n" result ["\n" errors]], front = head "\n" input; a body with neither result
-- nor errors (the common case) is returned as is
local function sections(body)
  local a = string.find(body, "\n", 1, true)
  local b = string.find(body, "\n", a + 1, true)
  if not b then return body, "", "" end
  local c = string.find(body, "\n", b + 1, true)
  if not c then return string.sub(body, 1, b - 1), string.sub(body, b + 1), "" end
  return string.sub(body, 1, b - 1), string.sub(body, b + 1, c - 1), string.sub(body, c + 1)
end
local function joinBody(front, result, errors)
  if errors ~= "" then return front .. "\n" .. result .. "\n" .. errors end
  if result ~= "" then return front .. "\n" .. result end
  return front
end
local function queueOf(body) return string.match(body, ${headField(HeadField.Queue)}) end
local function jobOf(front) return string.match(front, ${headField(HeadField.JobId)}) or "" end
local function appendError(errors, errJson)
  if errors == "" then return "[" .. errJson .. "]" end
  return string.sub(errors, 1, -2) .. "," .. errJson .. "]"
end
-- the fencing token (codec.ts leaseTokenOf)
local function tokenOf(h) return h[F_ATT] .. "${LEASE_TOKEN_SEPARATOR}" .. h[F_STARTED] end
-- a task's lease is never shorter than its own timeout
local function leaseUntil(h, leaseMs)
  local timeout = tonumber(h[F_TIMEOUT])
  return NOW + ((timeout and timeout > leaseMs) and timeout or leaseMs)
end
`,
);
