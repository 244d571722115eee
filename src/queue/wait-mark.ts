/** The waiters' mark (scripts/wait-mark.ts): set by a `?wait=` before it relies on the done channel. */
import { type QueueContext, runQueueScript } from "./context";
import { waitMarkScript } from "./scripts/wait-mark";
import { validateQueueName } from "./validate";

/** Marks `queue` as listened to until `untilMs`; false when the queue does not exist (nothing written). */
export async function markWaiting(ctx: QueueContext, queue: string, untilMs: number): Promise<boolean> {
  validateQueueName(queue);
  return Number(await runQueueScript(ctx.redis, ctx.prefix, waitMarkScript, queue, [String(Math.ceil(untilMs))])) === 1;
}
