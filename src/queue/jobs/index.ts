/** The jobs store's door: map-reduce jobs and their per-queue outbox in Redis (see store.ts). */
export { createJobStore, INDEX_SIZE, JOB_ID_PATTERN, type JobRedis, type JobStore } from "./store";
export { newJobId, queueOfJobId } from "./keys";
export type { FoldRound, JobEvent, JobFoldCommit, JobRecord, JobState, JobStatus, NewJob } from "./types";
