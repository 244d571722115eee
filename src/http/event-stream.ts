/**
 * Server-sent events over polling, shared by job and task events. A Worker cannot block on Redis,
 * and each read is a subrequest (50 per invocation on the free plan), so the stream polls with
 * backoff (quick again after a change), sends an event only when the state id changes, and ends
 * after a bounded time with `retry:` so the client reconnects; `id:` carries the state sent, and a
 * reconnect with Last-Event-ID does not repeat it. The last event (`result`) holds the final state.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

export const STREAM_MAX_MS = 25_000;
export const STREAM_MAX_READS = 40;
const FIRST_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 1_000;
const RECONNECT_MS = 500;

export interface PolledStream<T> {
  /** What identifies a state: an event is sent when it changes. */
  stateId(value: T): string;
  /** True once the value is final: it is sent as `result` and the stream ends. */
  over(value: T): boolean;
  read(): Promise<T | null>;
  /** The JSON sent for a state (the value itself by default). */
  render?(value: T): unknown;
}

export function pollingEventStream<T>(c: Context, first: T, source: PolledStream<T>): Response {
  return streamSSE(c, async (stream) => {
    const started = Date.now();
    let last = c.req.header("last-event-id") ?? "";
    let value: T | null = first;
    let interval = FIRST_INTERVAL_MS;
    for (let reads = 1; value !== null && !stream.aborted; reads++) {
      const id = source.stateId(value);
      const over = source.over(value);
      if (id !== last || over) {
        const data = source.render ? source.render(value) : value;
        await stream.writeSSE({ event: over ? "result" : "progress", id, data: JSON.stringify(data) });
        last = id;
        interval = FIRST_INTERVAL_MS;
      } else {
        interval = Math.min(interval * 1.5, MAX_INTERVAL_MS);
      }
      if (over) return;
      if (reads >= STREAM_MAX_READS || Date.now() - started + interval > STREAM_MAX_MS) break;
      await stream.sleep(interval);
      value = await source.read();
    }
    // Bounded: the client reconnects (with Last-Event-ID) and the next stream picks up from there.
    await stream.writeSSE({ event: "reconnect", data: "{}", retry: RECONNECT_MS });
  });
}
