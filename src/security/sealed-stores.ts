/**
 * Encryption at rest for jobs, as wrappers around the stores they write through: the map tasks a
 * job enqueues have their inputs sealed like any task's, and a job's input, accumulator and result
 * are sealed in the job hash. Sealed values there are bound to the job's id (not only its queue),
 * so one job's accumulator cannot be swapped for another's. Errors and progress stay in the clear.
 */
import type { JobFoldCommit, JobRecord, JobState, JobStore, NewJob } from "../queue/jobs/index";
import type { EnqueueRequest, TaskQueue } from "../queue/types";
import type { PayloadCipher, PayloadKind } from "./cipher";

type Enqueuer = Pick<TaskQueue, "enqueue" | "cancel"> & Partial<Pick<TaskQueue, "enqueueAndPeek">>;

/** Task inputs sealed on their way into the queue core: the one path every enqueue takes (API, jobs). */
export function sealingTasks<T extends Enqueuer>(tasks: T, cipher: PayloadCipher | null): T {
  if (!cipher) return tasks;
  const seal = (queue: string, requests: EnqueueRequest[]) =>
    Promise.all(requests.map(async (r) => ({ ...r, input: await cipher.seal(r.input, "input", queue) })));
  const sealed: Partial<Enqueuer> = {
    enqueue: async (queue, requests) => tasks.enqueue(queue, await seal(queue, requests)),
    ...(tasks.enqueueAndPeek ? { enqueueAndPeek: async (queue, requests) => tasks.enqueueAndPeek!(queue, await seal(queue, requests)) } : {}),
  };
  return new Proxy(tasks, { get: (target, key) => (key === "enqueue" || key === "enqueueAndPeek" ? sealed[key] : Reflect.get(target, key)) });
}

const scope = (jobId: string) => `job:${jobId}`;

export function sealingJobs(jobs: JobStore, cipher: PayloadCipher | null): JobStore {
  if (!cipher) return jobs;
  /** JSON text in, sealed JSON text out ("" stays "": a finished job keeps no accumulator). */
  const sealText = async (text: string, kind: PayloadKind, jobId: string) =>
    text === "" ? text : JSON.stringify(await cipher.seal(JSON.parse(text), kind, scope(jobId)));
  const openText = async (text: string, kind: PayloadKind, jobId: string) =>
    text === "" ? text : JSON.stringify(await cipher.open(JSON.parse(text), kind, scope(jobId)));
  const openRecord = async <R extends JobRecord>(record: R | null): Promise<R | null> => {
    if (!record || record.result === undefined) return record;
    return { ...record, result: await cipher.open(record.result, "job-result", scope(record.id)) };
  };
  const openState = async (state: JobState | null): Promise<JobState | null> => {
    const opened = await openRecord(state);
    if (!opened) return null;
    return { ...opened, input: await cipher.open(opened.input, "job-input", scope(opened.id)), acc: await openText(opened.acc, "job-acc", opened.id) };
  };
  const sealCommit = async (commit: JobFoldCommit): Promise<JobFoldCommit> => ({
    ...commit,
    acc: commit.acc === null ? null : await sealText(commit.acc, "job-acc", commit.jobId),
    final: commit.final?.status === "succeeded" ? { ...commit.final, text: await sealText(commit.final.text, "job-result", commit.jobId) } : commit.final,
  });
  return {
    ...jobs,
    async create(job: NewJob) {
      const sealed: NewJob = { ...job, input: await cipher.seal(job.input, "job-input", scope(job.id)), acc: await sealText(job.acc, "job-acc", job.id) };
      if (job.finished?.status === "succeeded") sealed.finished = { ...job.finished, text: await sealText(job.finished.text, "job-result", job.id) };
      return jobs.create(sealed);
    },
    get: async (id) => openRecord(await jobs.get(id)),
    recent: async (limit) => Promise.all((await jobs.recent(limit)).map(async (record) => (await openRecord(record))!)),
    states: async (ids) => Promise.all((await jobs.states(ids)).map(openState)),
    async finish(id, status, text) {
      return jobs.finish(id, status, status === "succeeded" ? await sealText(text, "job-result", id) : text);
    },
    commitFold: async (queue, round, commits) => jobs.commitFold(queue, round, await Promise.all(commits.map(sealCommit))),
  };
}
