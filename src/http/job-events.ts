/**
 * GET /v1/jobs/{id}/events: server-sent progress. A Worker cannot block on Redis, and each read is a
 * subrequest (50 per invocation on the free plan), so the stream polls with backoff (quick again
 * after a change), sends an event only when done, failed or status changed, and ends after a bounded
 * time with `retry:` so the client reconnects; `id:` carries the state sent, and a reconnect with
 * Last-Event-ID does not repeat it. The last event (`result`) holds the finished job.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { JobRecord } from "../queue/jobs/index";

export const STREAM_MAX_MS = 25_000;
export const STREAM_MAX_READS = 40;
const FIRST_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 1_000;
const RECONNECT_MS = 500;

export const stateId = (job: JobRecord): string => `${job.done}.${job.failed}.${job.status}`;

export function jobEventStream(c: Context, first: JobRecord, read: () => Promise<JobRecord | null>): Response {
  return streamSSE(c, async (stream) => {
    const started = Date.now();
    let last = c.req.header("last-event-id") ?? "";
    let job: JobRecord | null = first;
    let interval = FIRST_INTERVAL_MS;
    for (let reads = 1; job && !stream.aborted; reads++) {
      const id = stateId(job);
      const over = job.status !== "running";
      if (id !== last || over) {
        await stream.writeSSE({ event: over ? "result" : "progress", id, data: JSON.stringify(job) });
        last = id;
        interval = FIRST_INTERVAL_MS;
      } else {
        interval = Math.min(interval * 1.5, MAX_INTERVAL_MS);
      }
      if (over) return;
      if (reads >= STREAM_MAX_READS || Date.now() - started + interval > STREAM_MAX_MS) break;
      await stream.sleep(interval);
      job = await read();
    }
    // Bounded: the client reconnects (with Last-Event-ID) and the next stream picks up from there.
    await stream.writeSSE({ event: "reconnect", data: "{}", retry: RECONNECT_MS });
  });
}
