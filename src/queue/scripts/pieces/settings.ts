import { SCRIPT_DEFAULT_FIELDS } from "../../settings";
import { luaPiece } from "./index";
import { LUA_FORMAT } from "./format";

/** Settings: stored meta fields over the defaults in ARGV[2] (settings.ts scriptDefaults). */
export const LUA_SETTINGS = luaPiece(
  "settings",
  { keys: ["meta"], uses: [LUA_FORMAT] },
  String.raw`
local SETTINGS = {${SCRIPT_DEFAULT_FIELDS.map((field) => `"${field}"`).join(", ")}}
local DEFAULTS = split(ARGV[2], ",")
-- extra meta fields are read in the same HMGET
local function readMeta(extra)
  local fields = {}
  for i, f in ipairs(SETTINGS) do fields[i] = f end
  fields[#fields + 1] = "paused"
  for _, f in ipairs(extra) do fields[#fields + 1] = f end
  local values = redis.call("HMGET", META, unpack(fields))
  local m = {}
  for i, f in ipairs(fields) do
    local v = values[i]
    if not v then v = DEFAULTS[i] end
    if v then m[f] = v end
  end
  return m
end
`,
);
