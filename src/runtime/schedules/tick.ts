/** The schedule tick's work: src/http verifies the QStash signature, then hands the tick here. */
import type { Env } from "../../env";
import type { ReplayMark } from "../../queue/types";
import { type RuntimeOptions, runtimeFromEnv } from "../runtime";
import { ReplayedDeliveryError } from "../invocation";
import type { FireReport } from "./fire";
import { runSchedules } from "./wire";

/** The longest a tick waits for its fire time when it arrives early (ticks.ts sends them early on purpose). */
const MAX_EARLY_MS = 5_000;

/**
 * Waits until `at` (when the tick came early), then fires whatever is due. The replay mark is set
 * first: a replayed tick would change nothing (fires are once per fire time), but a captured
 * signature must not buy anyone an invocation.
 */
export async function handleScheduleTick(env: Env, at: number | null, options: RuntimeOptions, replayMark?: ReplayMark): Promise<FireReport> {
  const runtime = runtimeFromEnv(env, options);
  if (replayMark) {
    const set = await runtime.clients.redis.set(replayMark.key, replayMark.value, { nx: true, px: replayMark.ttlMs });
    if (set === null) throw new ReplayedDeliveryError("schedule tick");
  }
  const early = at === null ? 0 : at - runtime.clock.now();
  if (early > 0 && early <= MAX_EARLY_MS) await new Promise((resolve) => setTimeout(resolve, early));
  // Code schedules are synchronized by the cron; a tick only fires.
  return (await runSchedules(runtime, null, 0)) ?? { fired: 0, duplicates: 0, ticks: 0 };
}
