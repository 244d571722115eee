/** The start of a worker invocation: replay guard, push epoch, the queue's figures and the first claim in one script call. */
import { summaryFromStats } from "./admin";
import type { QueueContext } from "./context";
import { ErrorCode, ValidationError } from "./errors";
import { settle } from "./tasks";
import type { InvocationStart, ReplayMark } from "./types";
import { validateQueueName } from "./validate";

function checkReplayMark(mark: ReplayMark): void {
  if (typeof mark.key !== "string" || mark.key === "" || typeof mark.value !== "string" || mark.value === "") {
    throw new ValidationError(ErrorCode.InvalidArgument, "replayMark", "needs a key and a value");
  }
  if (!Number.isInteger(mark.ttlMs) || mark.ttlMs < 1) throw new ValidationError(ErrorCode.InvalidArgument, "replayMark.ttlMs", "must be a positive integer");
}

export async function startInvocation(ctx: QueueContext, queue: string, replayMark?: ReplayMark): Promise<InvocationStart> {
  validateQueueName(queue);
  if (replayMark) checkReplayMark(replayMark);
  const { claimed, start, nextDueAt } = await settle(ctx, queue, { start: { queue, ...(replayMark ? { replayMark } : {}) } });
  const [code, ...stats] = start;
  if (Number(code) === 0) return { kind: "replayed" };
  if (Number(code) === 1) return { kind: "missing" };
  const summary = summaryFromStats(queue, stats.slice(0, 6), ctx.defaults);
  if (Number(code) !== 2 || !summary) throw new Error(`unexpected start reply: ${JSON.stringify(start)}`);
  return { kind: "started", summary, pushEpoch: Number(stats[6]), claimed, nextDueAt };
}
