/**
 * One fold round, decided in plain code: given the outbox entries a folder took and the states of
 * their jobs, what each job's commit writes. Pure, so the fold's arithmetic is unit-tested apart
 * from Redis; fold.ts applies the plan under the fold lease.
 */
import type { JobEvent, JobFoldCommit, JobState } from "../../queue/jobs/index";
import type { JobFunction } from "../job";

/** The accumulator is read and written on every fold round: keep it small. */
export const MAX_ACC_BYTES = 512 * 1024;

export function planFold(
  events: readonly JobEvent[],
  states: ReadonlyMap<string, JobState | null>,
  jobOf: (fn: string) => JobFunction | undefined,
): JobFoldCommit[] {
  const byJob = new Map<string, JobEvent[]>();
  for (const event of events) byJob.set(event.jobId, [...(byJob.get(event.jobId) ?? []), event]);
  return [...byJob].map(([jobId, jobEvents]) => planJob(jobId, jobEvents, states.get(jobId) ?? null, jobOf));
}

function failed(jobId: string, doneDelta: number, failedDelta: number, text: string): JobFoldCommit {
  return { jobId, acc: null, doneDelta, failedDelta, final: { status: "failed", text } };
}

function planJob(jobId: string, events: JobEvent[], state: JobState | null, jobOf: (fn: string) => JobFunction | undefined): JobFoldCommit {
  // A job that is over (or gone) only has its entries removed.
  if (!state || state.status !== "running") return { jobId, acc: null, doneDelta: 0, failedDelta: 0, final: null };
  const results = events.filter((event) => event.result !== null);
  const doneDelta = results.length;
  const failedDelta = events.reduce((sum, event) => sum + event.failedDelta, 0);
  const job = jobOf(state.fn);
  if (!job) return failed(jobId, doneDelta, failedDelta, `job function "${state.fn}" is not registered in this deployment`);

  const done = state.done + doneDelta;
  const failures = state.failed + failedDelta;
  if (failures > state.maxFailures) {
    return failed(jobId, doneDelta, failedDelta, `${failures} map tasks failed; the job tolerates ${state.maxFailures}`);
  }
  let acc: unknown;
  let accJson: string | null = null;
  try {
    acc = JSON.parse(state.acc);
    for (const event of results) acc = job.reduce(acc, JSON.parse(event.result as string));
    if (doneDelta > 0) accJson = JSON.stringify(acc);
  } catch (error) {
    return failed(jobId, doneDelta, failedDelta, `reduce failed: ${(error as Error).message}`);
  }
  if (accJson !== null && accJson.length > MAX_ACC_BYTES) {
    return failed(jobId, doneDelta, failedDelta, `the accumulator grew past ${MAX_ACC_BYTES} bytes of JSON`);
  }
  if (done + failures < state.total) return { jobId, acc: accJson, doneDelta, failedDelta, final: null };
  try {
    const result = job.finalize ? job.finalize(acc, state.input) : acc;
    return { jobId, acc: accJson, doneDelta, failedDelta, final: { status: "succeeded", text: JSON.stringify(result ?? null) } };
  } catch (error) {
    return failed(jobId, doneDelta, failedDelta, `finalize failed: ${(error as Error).message}`);
  }
}
