/**
 * Large task inputs leave Redis on the one path every enqueue takes: a wrapper around the queue
 * core's enqueue (the API's and the jobs' alike) that writes each input past 32 KiB to R2 and hands
 * the core a reference (payloads.ts). It sits under sealingTasks, so what it uploads is sealed
 * already when encryption at rest is on. An input needs its task's id for its blob's name: one is
 * made here when the caller gave none. A job's input goes the same way (offloadingJobs): it is
 * written once and read back by each splitter run and fold round, which then read a reference
 * of about 200 bytes from Redis instead of the input.
 */
import { newTaskId } from "../queue/ids";
import type { JobStore } from "../queue/jobs/index";
import type { EnqueueRequest, TaskQueue } from "../queue/types";
import type { BlobBucket } from "./bucket";
import { INLINE_PAYLOAD_BYTES, isPayloadRef, jsonBytes, offloadPayload, resolvePayload } from "./payloads";

type Enqueuer = Pick<TaskQueue, "enqueue"> & Partial<Pick<TaskQueue, "enqueueAndPeek" | "enqueueGroups">>;
type Groups = Awaited<ReturnType<TaskQueue["enqueueGroups"]>>;
const WRAPPED = new Set<PropertyKey>(["enqueue", "enqueueAndPeek", "enqueueGroups"]);

/** `prefix`: the deployment's key prefix, which payload blob names carry. */
export function offloadingTasks<T extends Enqueuer>(tasks: T, bucket: BlobBucket | undefined, prefix: string): T {
  if (!bucket) return tasks;
  const offload = (queue: string, requests: EnqueueRequest[]) =>
    Promise.all(
      requests.map(async (request) => {
        if (jsonBytes(request.input).length <= INLINE_PAYLOAD_BYTES) return request;
        const id = request.id ?? newTaskId(Date.now());
        return { ...request, id, input: await offloadPayload(bucket, request.input, { prefix, queue, ownerId: id, kind: "input" }) };
      }),
    );
  const wrapped: Partial<Enqueuer> = {
    enqueue: async (queue, requests) => tasks.enqueue(queue, await offload(queue, requests)),
    ...(tasks.enqueueAndPeek ? { enqueueAndPeek: async (queue, requests) => tasks.enqueueAndPeek!(queue, await offload(queue, requests)) } : {}),
    ...(tasks.enqueueGroups ? { enqueueGroups: (queue, groups) => enqueueGroupsOffloaded(tasks.enqueueGroups!, queue, groups, offload) } : {}),
  };
  return new Proxy(tasks, { get: (target, key) => (WRAPPED.has(key) ? wrapped[key as keyof Enqueuer] : Reflect.get(target, key)) });
}

/** Job inputs past 32 KiB in R2, under sealingJobs like tasks under sealingTasks. */
export function offloadingJobs(jobs: JobStore, bucket: BlobBucket | undefined, prefix: string): JobStore {
  if (!bucket) return jobs;
  return {
    ...jobs,
    create: async (job) => jobs.create({ ...job, input: await offloadPayload(bucket, job.input, { prefix, queue: job.queue, ownerId: job.id, kind: "job-input" }) }),
    states: async (ids) =>
      Promise.all((await jobs.states(ids)).map(async (state) => (state && isPayloadRef(state.input) ? { ...state, input: await resolvePayload(bucket, state.input) } : state))),
  };
}

/** Coalesced requests (one group each): a group whose upload fails gets its own error, the others go on. */
async function enqueueGroupsOffloaded(
  enqueueGroups: TaskQueue["enqueueGroups"],
  queue: string,
  groups: EnqueueRequest[][],
  offload: (queue: string, requests: EnqueueRequest[]) => Promise<EnqueueRequest[]>,
): Promise<Groups> {
  const offloaded = await Promise.all(groups.map((group) => offload(queue, group).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
  const ready = offloaded.flatMap((group, index) => (group instanceof Error ? [] : [{ group, index }]));
  const stored = ready.length > 0 ? await enqueueGroups(queue, ready.map(({ group }) => group)) : { outcomes: [], pushInfo: null };
  const outcomes: Groups["outcomes"] = offloaded.map((group) => (group instanceof Error ? group : []));
  ready.forEach(({ index }, position) => (outcomes[index] = stored.outcomes[position]!));
  return { outcomes, pushInfo: stored.pushInfo };
}
