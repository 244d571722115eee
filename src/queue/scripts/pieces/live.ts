import { luaPiece } from "./index";
import { LUA_FORMAT } from "./format";

/**
 * [edge, issue 11] The live-invocation mark: meta field `_live`, the time (ms) until which a worker
 * invocation has promised to claim the queue again. While it stands, the queue's enqueues publish no
 * push (enqueue.ts reads it in the HMGET it makes anyway): the invocation will claim their tasks.
 *
 * Why no task waits for the cron: a claim that took tasks sets the mark (its invocation runs them and
 * claims again, runtime/drain.ts); a claim that took nothing clears it in the same script, so an
 * enqueue either ran before that claim (and its task was there to be taken) or after it (and sees no
 * mark, so it pushes). An invocation that stops while its last claim took tasks (its budget spent)
 * clears the mark itself, then checks the backlog and pushes for what is left (runtime/invocation.ts).
 * An invocation that dies silences pushes until the mark's time passes, LIVE_MARK_MS after its last
 * claim at most; the next enqueue after that, or the cron, starts another.
 */
export const LIVE_MARK_FIELD = "_live";

/** How long a claim's promise holds: past any pause between two claims of one invocation (drain.ts). */
export const LIVE_MARK_MS = 5_000;

export const LUA_LIVE = luaPiece(
  "live",
  { keys: ["meta"], uses: [LUA_FORMAT] },
  String.raw`
local function liveAfterClaim(taken)
  if taken > 0 then redis.call("HSET", META, "${LIVE_MARK_FIELD}", int(NOW + ${LIVE_MARK_MS}))
  else redis.call("HDEL", META, "${LIVE_MARK_FIELD}") end
end
`,
);
