/**
 * GET /v1/jobs/{id}/events: server-sent progress (event-stream.ts). An event is sent when done,
 * failed or status changed; the last event (`result`) holds the finished job.
 */
import type { Context } from "hono";
import type { JobRecord } from "../queue/jobs/index";
import { pollingEventStream } from "./event-stream";

export { STREAM_MAX_MS, STREAM_MAX_READS } from "./event-stream";

export const stateId = (job: JobRecord): string => `${job.done}.${job.failed}.${job.status}`;

export function jobEventStream(c: Context, first: JobRecord, read: () => Promise<JobRecord | null>): Response {
  return pollingEventStream(c, first, { stateId, over: (job) => job.status !== "running", read });
}
