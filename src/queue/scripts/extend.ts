import { LUA_SETTINGS } from "./pieces/settings";
import { LUA_BUFFERS } from "./pieces/buffers";
import { defineQueueScript } from "./queue-script";

/** extend: renews the leases of running tasks. The fencing token stays the same (see tokenOf in lib.ts). */
export const extendScript = defineQueueScript({
  name: "extend",
  summary: "renews the leases of running tasks; the fencing token stays the same",
  uses: [LUA_SETTINGS, LUA_BUFFERS],
  partitioned: true,
  contract: String.raw`
ARGV[1] now ms   ARGV[2] defaults   ARGV[3] lease ms ("" = the queue's leaseMs)
ARGV[4..] pairs: local task id, lease token
Returns per pair: code, token to use from now on ("" unless 1), new lease deadline ms (0 unless 1);
code 1 extended, -1 TaskNotFound, -2 LeaseMismatch, -3 NotRunning.
`,
  body: String.raw`
local leaseMs = tonumber(ARGV[3]) or tonumber(readMeta({}).leaseMs)
local ids = {}
for i = 4, #ARGV, 2 do ids[#ids + 1] = ARGV[i] end
load(ids)
local out = {}
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  local h, body, code = running(id, ARGV[i + 1])
  if h then
    local untilMs = leaseUntil(h, leaseMs)
    h[F_LEASE] = b36(untilMs)
    put(id, format(h, body))
    sweepAdd("L", untilMs, id)
    observeExtend(h[F_STARTED], untilMs)
    out[#out + 1] = 1; out[#out + 1] = tokenOf(h); out[#out + 1] = untilMs
  else
    out[#out + 1] = code; out[#out + 1] = ""; out[#out + 1] = 0
  end
end
flush()
return out
`,
});
