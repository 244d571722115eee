import { defineQueueScript } from "./queue-script";

/**
 * [issue 11] The waiters' mark: META field `_wait`, the time (ms) until which a `?wait=` may be
 * listening on the queue's done channel. The settle script publishes the ids it finished only while
 * the mark stands: a PUBLISH is a billed command, one in every settle of a bulk drain (0.01 a task at
 * batch 100) whether anyone listens or not. A waiter sets the mark before the read that follows its
 * subscription (http/long-poll.ts), so a settle it can miss came before that read, which sees it.
 */
export const WAITER_MARK_FIELD = "_wait";

export const waitMarkScript = defineQueueScript({
  name: "wait-mark",
  summary: "sets the waiters' mark of a queue that exists",
  keys: ["meta", "stats"],
  contract: String.raw`
ARGV[1] the mark: until when (ms) a waiter may listen
Returns 1 when the mark was set, 0 when the queue does not exist (no stats hash): nothing written,
so that a wait on an id of no queue leaves no key behind
`,
  body: String.raw`
if redis.call("EXISTS", STATS) == 0 then return 0 end
redis.call("HSET", META, "${WAITER_MARK_FIELD}", ARGV[1])
return 1
`,
});
