/**
 * Shapes of the HTTP API (README "HTTP API", GET /openapi.json) as the client sees them: the
 * server's own wire types (src/wire), plus what only the client adds.
 */
import type { Job, QueueSummary, Task } from "../wire/index";

export type * from "../wire/index";

/** An event of GET /v1/tasks/{id}/events: `progress` on each change, then `result`. */
export interface TaskEvent {
  event: string;
  data: Task;
}

/** An event of GET /v1/jobs/{id}/events: `progress` on each change, then `result`. */
export interface JobEvent {
  event: string;
  data: Job;
}

/** A queue as GET /v1/queues shows it: its settings and counts, with `stats` (README "Monitoring"). */
export interface QueueInfo extends QueueSummary {
  stats?: Record<string, unknown>;
}
