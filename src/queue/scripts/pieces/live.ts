import { luaPiece } from "./index";
import { LUA_FORMAT } from "./format";
import { LUA_STATS } from "../../stats/lua";

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
 * A claim renews the mark only when less than half of LIVE_MARK_MS is left, so the promise a claim
 * leaves is LIVE_MARK_MS / 2 at least. An invocation that dies silences pushes until the mark's time
 * passes, LIVE_MARK_MS after its last claim at most; the next enqueue after that, or the cron, starts another.
 *
 * [enq, issue 11] The mark is mirrored in the stats hash's field of the same name, which the enqueue
 * script reads in the stats HMGET it makes anyway (as flow's `_re` mark is): an enqueue into a live
 * queue reads no meta at all (one inner call a script call fewer). Claims read META's copy (in their
 * meta read) and write both in the same script; a renewal rides on the claim's stats write. Whoever
 * clears the mark clears the stats copy first (runtime/epochs.ts): a stats copy left standing alone
 * would silence pushes, a meta copy left alone only costs a push.
 */
export const LIVE_MARK_FIELD = "_live";

/** How long a claim's promise holds: past any pause between two claims of one invocation (drain.ts). */
export const LIVE_MARK_MS = 5_000;

export const LUA_LIVE = luaPiece(
  "live",
  { keys: ["meta", "stats"], uses: [LUA_FORMAT, LUA_STATS] },
  String.raw`
-- mark: the field as the call's meta read found it. A mark with more than half its time left is not
-- written again, nor an absent one deleted: a claim every few ms costs no write of its own (the mark
-- was one inner call a claim, 0.01 Redis commands a task at batch 100)
local function liveAfterClaim(taken, mark)
  local untilMs = tonumber(mark)
  -- [cmds] the enqueue ledger's live part follows the mark, written with the claim's stats (LUA_STATS ledger)
  if taken > 0 or mark then ledger.liveUntil = 0 end
  if taken > 0 then
    if not untilMs or untilMs < NOW + ${LIVE_MARK_MS / 2} then
      local renewed = int(NOW + ${LIVE_MARK_MS})
      redis.call("HSET", META, "${LIVE_MARK_FIELD}", renewed)
      statChecks.add("${LIVE_MARK_FIELD}", function() return renewed end)
      untilMs = NOW + ${LIVE_MARK_MS}
    end
    ledger.liveUntil = untilMs
  elseif mark then
    redis.call("HDEL", STATS, "${LIVE_MARK_FIELD}")
    redis.call("HDEL", META, "${LIVE_MARK_FIELD}")
  end
end
`,
);
