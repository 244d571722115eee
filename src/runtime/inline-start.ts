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
import { handlePush } from "./push";
import { publishSafetyNet } from "./safety-net";
import type { RuntimeOptions } from "./runtime";

/** Short: waitUntil lasts 30 s after the answer; backlog left is pushed for as a push invocation's is. */
export const INLINE_BUDGET: BudgetLimits = { softMs: 1_000, hardMs: 20_000, maxBatches: 50 };

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
 * Runs the invocation here unless one was started for the same epoch; publishes the push when it
 * could not. Never throws: it runs in waitUntil.
 */
export async function startInline(env: Env, scope: string, queue: string, options: RuntimeOptions, pushDeps: EnqueuePushDeps, pushInfo: PushInfo): Promise<void> {
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
    await handlePush(env, { queue }, { ...options, budget: INLINE_BUDGET });
  } catch (error) {
    pushDeps.log.warn("the inline start failed; publishing the push", { queue, error: String(error) });
    await publishEnqueuePush(pushDeps, queue, { pushInfo, readyNow: true });
  }
  await net;
}
