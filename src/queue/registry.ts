/**
 * The registry (`<prefix>:queues`, queue name → "0") lists the queues for listQueues. It is outside
 * every queue's hash tag, so no queue script touches it: it is written here, by a script of its own
 * over that one key, when a queue is set up and now and then by enqueues and upkeep (registering is
 * idempotent, and redoing it puts back a queue lost with a data loss).
 */
import { text } from "./codec";
import type { QueueContext } from "./context";
import { registryKey, queueKeys } from "./keys";
import { defineScript, runScript } from "./scripts/runner";
import { settingsScript } from "./scripts/settings";

export const registerScript = defineScript(
  "register",
  String.raw`
--[[ register: lists a queue in the registry
KEYS[1] registry (hash, queue name → "0")
ARGV[1] queue name
Returns the entry's value before ("0", nil when the queue was not listed, or a count of enqueued
tasks that old registries kept there: the caller moves it to the queue's stats hash).
]]
local before = redis.call("HGET", KEYS[1], ARGV[1])
if before ~= "0" then redis.call("HSET", KEYS[1], ARGV[1], "0") end
return before
`,
);

/** When this isolate last registered each queue (prefix "\n" queue → ms). */
const registeredAt = new Map<string, number>();
const REGISTER_EVERY_MS = 60_000;

export function registrationDue(ctx: QueueContext, queue: string, now: number): boolean {
  const at = registeredAt.get(`${ctx.prefix}\n${queue}`);
  return at === undefined || now - at >= REGISTER_EVERY_MS || now < at;
}

/** Lists the queue; a count an old registry kept becomes its enqueued total. */
export async function register(ctx: QueueContext, queue: string): Promise<void> {
  const before = await runScript(ctx.redis, registerScript, [registryKey(ctx.prefix)], [queue]);
  const legacy = before == null ? "0" : text(before);
  if (legacy !== "0") await runScript(ctx.redis, settingsScript, queueKeys(ctx.prefix, queue, settingsScript.keys), [legacy, "0"]);
  registeredAt.set(`${ctx.prefix}\n${queue}`, ctx.now());
}
