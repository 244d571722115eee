import { TIME_RADIX } from "../../codec";
import { luaPiece } from "./index";

/**
 * ARGV[1] (now, from the caller's clock so that tests can move time), number formatting and argument
 * chunking: what every state-changing script needs.
 */
export const LUA_FORMAT = luaPiece(
  "format",
  {},
  String.raw`
local NOW = tonumber(ARGV[1])
-- arguments per command: unpack() has a stack limit near 8000
local CHUNK = 1000
-- number formatting is memoized: a batch formats the same few values (now, its lease deadline,
-- its expiry) once per task, and the formatting loops cost more than the rest of a claim.
-- Times in records are base ${TIME_RADIX} (codec.ts TIME_RADIX).
local DIGITS = "${"0123456789abcdefghijklmnopqrstuvwxyz".slice(0, TIME_RADIX)}"
local b36memo, intMemo = {}, {}
local function b36(n)
  n = math.floor(n)
  local s = b36memo[n]
  if s then return s end
  if n <= 0 then return "0" end
  local digits, m = {}, n
  while m > 0 do
    local d = m % ${TIME_RADIX}
    table.insert(digits, 1, string.sub(DIGITS, d + 1, d + 1))
    m = math.floor(m / ${TIME_RADIX})
  end
  s = table.concat(digits)
  b36memo[n] = s
  return s
end
local function fromTime(s) return tonumber(s, ${TIME_RADIX}) end
local function int(n)
  local s = intMemo[n]
  if not s then s = string.format("%.0f", n); intMemo[n] = s end
  return s
end
local function split(s, sep)
  local out, i = {}, 1
  for part in string.gmatch(s .. sep, "([^" .. sep .. "]*)" .. sep) do out[i] = part; i = i + 1 end
  return out
end
local function chunked(cmd, key, args, step)
  for i = 1, #args, step do redis.call(cmd, key, unpack(args, i, math.min(i + step - 1, #args))) end
end
`,
);
