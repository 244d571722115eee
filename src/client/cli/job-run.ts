import type { EdgeqClient, Job } from "../index";
import { createProgressBar } from "./progress";

const finished = (job: Job) => job.status !== "running";

/**
 * Starts a job and follows it to the end: server-sent progress events when the deployment streams
 * them, polling with ?wait otherwise. Returns the final job.
 */
export async function runJobWithProgress(
  client: EdgeqClient,
  fn: string,
  input: unknown,
  options: { queue?: string; showProgress?: boolean } = {},
): Promise<{ job: Job; seconds: number }> {
  const startedAt = Date.now();
  const { id, total } = await client.startJob(fn, input, options.queue);
  const bar = options.showProgress === false ? undefined : createProgressBar();
  bar?.update(0, total);
  let job: Job | undefined;
  try {
    for await (const { data } of client.jobEvents(id)) {
      job = data;
      bar?.update(job.done, job.total, job.failed);
      if (finished(job)) break;
    }
  } catch {
    // no event stream (older deployment or a proxy that buffers): poll instead
  }
  while (!job || !finished(job)) {
    job = await client.getJob(id, 1);
    bar?.update(job.done, job.total, job.failed);
  }
  bar?.finish();
  return { job, seconds: (Date.now() - startedAt) / 1000 };
}
