/**
 * [wait, issue 11] The inline start, on by default (EDGEQ_INLINE_START=off turns it off): a
 * single-task enqueue that finds its queue idle (no live invocation, not paused) runs the queue's
 * first invocation itself, after its 202 (waitUntil), instead of publishing a push and waiting for
 * QStash to deliver it. The push's two hops (publish, delivery) and its signature check are the
 * largest stage of enqueue → result on an idle queue; the invocation that follows is the one a push
 * would have started (same start script, live mark, budget checks, follow-up pushes for backlog),
 * only shorter.
 *
 * What recovers it: a start that fails publishes the push after all; an isolate that dies while it
 * runs is covered by the safety net beside the run, a delayed push a few seconds later
 * (safety-net.ts). On Cloudflare the functions run on the enqueue request's CPU time.
 */
import type { Env } from "../env";
import type { PushInfo } from "../queue/index";
import { type BudgetLimits, systemClock } from "./budget";
import { type EnqueuePushDeps, publishEnqueuePush } from "./enqueue-push";
import { handlePush, ReplayedDeliveryError } from "./push";
import type { ReplayMark } from "../queue/types";
import { replayMark } from "../security/index";
import { publishSafetyNet } from "./safety-net";
import { PUSH_BUDGET, type RuntimeOptions } from "./runtime";

/**
 * A push invocation's claiming time (PUSH_BUDGET), a shorter hard end: waitUntil lasts 30 s after
 * the answer. [inline, issue 11] Not shorter: with claims for 1 s, a busy queue's inline
 * invocation ended every second, and in the gap before its follow-up push each Worker's next
 * enqueue started another beside it (two workers' single enqueues: 2.6–3.0 Redis commands a task
 * against 1.7 on the push path, alternated).
 */
export const INLINE_BUDGET: BudgetLimits = { softMs: PUSH_BUDGET.softMs, hardMs: 20_000, maxBatches: PUSH_BUDGET.maxBatches };

/** On unless EDGEQ_INLINE_START is "off" (then every enqueue publishes a push, as before). */
export function inlineStartOn(env: Pick<Env, "EDGEQ_INLINE_START">): boolean {
  return env.EDGEQ_INLINE_START !== "off";
}

/** Whether an enqueue that read `pushInfo` would publish the push an inline start replaces. */
export function startsInline(pushInfo: PushInfo | null | undefined, readyNow: boolean, delayed: number): pushInfo is PushInfo {
  return !!pushInfo && readyNow && delayed === 0 && !pushInfo.live && !pushInfo.paused;
}

/**
 * Starts this isolate made, by `<scope>|<queue>|<push epoch>`. Enqueues coalesced into one call
 * read the same epoch: one start takes all their tasks, as one push of that epoch would (QStash
 * drops the copies). A start advances the epoch, so an enqueue after it is not mistaken for one of
 * these.
 */
const started = new Set<string>();
const MAX_REMEMBERED = 1_000;

/**
 * [inline, issue 11] Whoever starts the epoch's inline invocation first, across Workers: its start
 * script sets this mark (SET NX, as a delivery's replay mark) and any other start of the same epoch
 * finds it and does nothing. Its enqueue read the epoch before the winner's start advanced it, so
 * its task was stored before the winner's claim (autoscale.ts's argument for a dropped push).
 * Without it, two Workers' first enqueues into an idle queue started two drainers side by side
 * (two workers' single enqueues: 2.6–3.5 Redis commands a task against 1.7 on the push path).
 */
function inlineMark(prefix: string, epoch: number): ReplayMark {
  const now = systemClock.now();
  return replayMark(prefix, `inline.${epoch}`, "inline", now, now);
}

/**
 * Runs the invocation here unless one was started for the same epoch; publishes the push when it
 * could not. Never throws: it runs in waitUntil.
 */
export async function startInline(env: Env, scope: string, queue: string, options: RuntimeOptions, pushDeps: EnqueuePushDeps & { prefix: string }, pushInfo: PushInfo): Promise<void> {
  const key = `${scope}|${queue}|${pushInfo.pushEpoch}`;
  if (started.has(key)) return;
  if (started.size >= MAX_REMEMBERED) started.clear();
  started.add(key);
  // a turn of the event loop first: the 202 goes out before the invocation's work holds the
  // isolate, so the client's `?wait=` is in place sooner (p50 13.9 → 9.7 ms, alternated runs)
  await new Promise((resolve) => setTimeout(resolve, 0));
  // beside the run, not before it: the net's round trip to QStash stays off the task's path
  const net = publishSafetyNet(pushDeps, queue, pushInfo.maxParallel, systemClock.now());
  try {
    await handlePush(env, { queue }, { ...options, budget: INLINE_BUDGET }, inlineMark(pushDeps.prefix, pushInfo.pushEpoch));
  } catch (error) {
    // another Worker's enqueue of the same epoch started it: one drainer, as one push would be
    if (error instanceof ReplayedDeliveryError) return void (await net);
    pushDeps.log.warn("the inline start failed; publishing the push", { queue, error: String(error) });
    await publishEnqueuePush(pushDeps, queue, { pushInfo, readyNow: true });
  }
  await net;
}
