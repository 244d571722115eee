/**
 * Ticks: delayed QStash messages to POST /v1/schedules/tick, one per fire second, so that a fire
 * starts on time rather than at the next minute's cron. Every schedule firing at the same second
 * shares one tick (deduplication id per second); a tick that comes late or twice finds nothing due.
 */
import type { Client } from "@upstash/qstash";

/** Ticks published per call: the earliest few (each fire publishes the tick for its next one). */
export const MAX_TICKS = 5;
/**
 * A tick is delivered this much before its fire second and waits there (POST /v1/schedules/tick
 * holds an early tick until its time): QStash's delivery delay is then spent before the fire time,
 * not after it. notBefore has a resolution of one second.
 */
export const TICK_LEAD_SECONDS = 1;
const TICK_RETRIES = 3;

export function tickUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/v1/schedules/tick`;
}

/** The body of a tick: the fire time (ms) it was published for. */
export interface TickMessage {
  at: number;
}

export function tickPublisher(client: Pick<Client, "batchJSON">, publicUrl: string) {
  const url = tickUrl(publicUrl);
  return async (times: readonly number[]): Promise<number> => {
    const seconds = [...new Set(times.map((time) => Math.ceil(time / 1_000)))].sort((a, b) => a - b).slice(0, MAX_TICKS);
    if (seconds.length === 0) return 0;
    await client.batchJSON(
      seconds.map((second) => ({
        url,
        body: { at: second * 1_000 } satisfies TickMessage,
        notBefore: second - TICK_LEAD_SECONDS,
        deduplicationId: `edgeq.sched.${second}`,
        retries: TICK_RETRIES,
      })),
    );
    return seconds.length;
  };
}
