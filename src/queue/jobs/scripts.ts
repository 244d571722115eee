import { defineScript } from "../scripts/runner";

/**
 * Scripts of the job store. They touch a job's hash, its queue's outbox and the queue's fold lease
 * only, all passed in KEYS; none needs the queue library.
 * Job hash fields: fn, queue, status (running | succeeded | failed | canceled), total, done, failed,
 * maxFailures, input, acc (the accumulator, JSON), result, error, createdAt, finishedAt.
 */

const CREATE = String.raw`
--[[ jobCreate
KEYS[1] job hash
ARGV[1] keep ms (expiry set when the job is created finished, e.g. with no tasks; 0: none)
ARGV[2..] field, value, ... of the new job
Returns 1 created, 0 when a job with that id exists (nothing written).
The index of recent jobs spans queues (other slots): the store writes it beside this script.
]]
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call("HSET", KEYS[1], unpack(fields))
if tonumber(ARGV[1]) > 0 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return 1
`;

const FINISH = String.raw`
--[[ jobFinish: a running job becomes succeeded, failed or canceled
KEYS[1] job hash
ARGV[1] now ms   ARGV[2] status   ARGV[3] "result" | "error"   ARGV[4] its text   ARGV[5] keep ms
Returns 1 done, 0 when the job is not running (nothing written), -1 when there is no such job.
]]
local status = redis.call("HGET", KEYS[1], "status")
if not status then return -1 end
if status ~= "running" then return 0 end
redis.call("HSET", KEYS[1], "status", ARGV[2], "finishedAt", ARGV[1], ARGV[3], ARGV[4], "acc", "")
redis.call("PEXPIRE", KEYS[1], ARGV[5])
return 1
`;

const FOLD_TAKE = String.raw`
--[[ foldTake: takes the queue's fold lease and up to N outbox entries
KEYS[1] fold lease   KEYS[2] outbox
ARGV[1] token (new, random)   ARGV[2] lease ms   ARGV[3] N
Returns {0, ms left of its lease} when another folder holds the lease, {2} when the outbox is empty
(lease released), {1, {task id, entry, ...}} otherwise (the caller holds the lease). The same token
again (a take repeated after its reply was lost) gets a round, not {0}: else its own lease would
keep every folder away until it ran out.
]]
if not redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  if redis.call("GET", KEYS[1]) ~= ARGV[1] then return {0, redis.call("PTTL", KEYS[1])} end
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
local entries = redis.call("HRANDFIELD", KEYS[2], ARGV[3], "WITHVALUES")
if #entries == 0 then redis.call("DEL", KEYS[1]); return {2} end
return {1, entries}
`;

const FOLD_COMMIT = String.raw`
--[[ foldCommit: applies one fold round, only under the fold lease taken with the same token
KEYS[1] fold lease   KEYS[2] outbox   KEYS[3..2+J] job hashes
ARGV[1] token   ARGV[2] now ms   ARGV[3] J   ARGV[4] N   ARGV[5] keep ms (finished jobs)
then J quintuples, per job: new acc ("" = unchanged), done delta, failed delta,
  final status ("" = still running | succeeded | failed), result JSON or error text
then N pairs: task id, the entry as read ("" when it held a result: such entries never change)
Every entry must still be as read (a retry out of the dead set may have cancelled a death):
otherwise nothing is written. Jobs that are no longer running only lose their entries.
Returns {1, entries left in the outbox}; -1 lease lost (nothing written); -2 an entry changed
(nothing written, lease released).
]]
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return -1 end
local nJobs, n = tonumber(ARGV[3]), tonumber(ARGV[4])
local base = 6 + nJobs * 5
local ids = {}
for i = 0, n - 1 do ids[#ids + 1] = ARGV[base + i * 2] end
for i = 1, #ids, 1000 do
  local j = math.min(i + 999, #ids)
  local now = redis.call("HMGET", KEYS[2], unpack(ids, i, j))
  for k = i, j do
    local expected, value = ARGV[base + (k - 1) * 2 + 1], now[k - i + 1]
    if not value or (expected ~= "" and value ~= expected) then redis.call("DEL", KEYS[1]); return -2 end
  end
end
for i = 1, #ids, 1000 do redis.call("HDEL", KEYS[2], unpack(ids, i, math.min(i + 999, #ids))) end
for j = 0, nJobs - 1 do
  local key, at = KEYS[3 + j], 6 + j * 5
  local cur = redis.call("HMGET", key, "status", "done", "failed")
  if cur[1] == "running" then
    local set = {"done", tonumber(cur[2]) + tonumber(ARGV[at + 1]), "failed", tonumber(cur[3]) + tonumber(ARGV[at + 2])}
    if ARGV[at + 3] ~= "" then
      set[#set + 1] = "status"; set[#set + 1] = ARGV[at + 3]
      set[#set + 1] = "finishedAt"; set[#set + 1] = ARGV[2]
      set[#set + 1] = ARGV[at + 3] == "succeeded" and "result" or "error"; set[#set + 1] = ARGV[at + 4]
      set[#set + 1] = "acc"; set[#set + 1] = ""
    elseif ARGV[at] ~= "" then
      set[#set + 1] = "acc"; set[#set + 1] = ARGV[at]
    end
    redis.call("HSET", key, unpack(set))
    if ARGV[at + 3] ~= "" then redis.call("PEXPIRE", key, ARGV[5]) end
  end
end
local left = redis.call("HLEN", KEYS[2])
redis.call("DEL", KEYS[1])
return {1, left}
`;

export const jobCreateScript = defineScript("jobCreate", CREATE);
export const jobFinishScript = defineScript("jobFinish", FINISH);
export const foldTakeScript = defineScript("foldTake", FOLD_TAKE);
export const foldCommitScript = defineScript("foldCommit", FOLD_COMMIT);
