/** The start of a worker invocation: replay guard, push epoch, the queue's figures and the first claim in one script call. */
import { summaryFromStats } from "./admin";
import type { QueueContext } from "./context";
import { ErrorCode, ValidationError } from "./errors";
import { settle } from "./tasks";
import type { InvocationStart, OnceMark } from "./types";
import { validateQueueName } from "./validate";

function checkOnce(once: OnceMark): void {
  if (typeof once.key !== "string" || once.key === "" || typeof once.value !== "string" || once.value === "") {
    throw new ValidationError(ErrorCode.InvalidArgument, "once", "needs a key and a value");
  }
  if (!Number.isInteger(once.ttlMs) || once.ttlMs < 1) throw new ValidationError(ErrorCode.InvalidArgument, "once.ttlMs", "must be a positive integer");
}

export async function startInvocation(ctx: QueueContext, queue: string, once?: OnceMark): Promise<InvocationStart> {
  validateQueueName(queue);
  if (once) checkOnce(once);
  const { claimed, start, nextDueAt } = await settle(ctx, queue, [], [], 0, undefined, { queue, ...(once ? { once } : {}) });
  const [code, ...stats] = start;
  if (Number(code) === 0) return { kind: "replayed" };
  if (Number(code) === 1) return { kind: "missing" };
  const summary = summaryFromStats(queue, stats.slice(0, 7), ctx.defaults);
  if (Number(code) !== 2 || !summary) throw new Error(`unexpected start reply: ${JSON.stringify(start)}`);
  return { kind: "started", summary, pushEpoch: Number(stats[7]), claimed, nextDueAt };
}
