import { luaPiece } from "./index";
import { LUA_FORMAT } from "./format";

/**
 * The registry (the list of queues) is off the hot path: a queue's totals live in its own stats
 * hash, and the registry is written only by the scripts that register a queue (settings, upkeep, and
 * now and then an enqueue: tasks.ts). A registry value other than "0" is a count of enqueued tasks
 * kept there before the totals moved: it is moved into the stats hash the first time.
 */
export const LUA_REGISTER = luaPiece(
  "register",
  { keys: ["registry", "stats"], uses: [LUA_FORMAT] },
  String.raw`
local function register(queue)
  local legacy = redis.call("HGET", REGISTRY, queue)
  if legacy ~= "0" then
    if legacy then redis.call("HSETNX", STATS, "enqueued", legacy) end
    redis.call("HSET", REGISTRY, queue, "0")
  end
end
`,
);
