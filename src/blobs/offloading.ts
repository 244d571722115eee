/**
 * Large task inputs leave Redis on the one path every enqueue takes: a wrapper around the queue
 * core's enqueue (the API's and the jobs' alike) that writes each input past 32 KiB to R2 and hands
 * the core a reference (payloads.ts). It sits under sealingTasks, so what it uploads is sealed
 * already when encryption at rest is on. An input needs its task's id for its blob's name: one is
 * made here when the caller gave none.
 */
import { newTaskId } from "../queue/ids";
import type { EnqueueRequest, TaskQueue } from "../queue/types";
import type { BlobBucket } from "./bucket";
import { INLINE_PAYLOAD_BYTES, jsonBytes, offloadPayload } from "./payloads";

type Enqueuer = Pick<TaskQueue, "enqueue"> & Partial<Pick<TaskQueue, "enqueueAndPeek">>;

export function offloadingTasks<T extends Enqueuer>(tasks: T, bucket: BlobBucket | undefined): T {
  if (!bucket) return tasks;
  const offload = (queue: string, requests: EnqueueRequest[]) =>
    Promise.all(
      requests.map(async (request) => {
        if (jsonBytes(request.input).length <= INLINE_PAYLOAD_BYTES) return request;
        const id = request.id ?? newTaskId(Date.now());
        return { ...request, id, input: await offloadPayload(bucket, request.input, { queue, taskId: id, kind: "input" }) };
      }),
    );
  const wrapped: Partial<Enqueuer> = {
    enqueue: async (queue, requests) => tasks.enqueue(queue, await offload(queue, requests)),
    ...(tasks.enqueueAndPeek ? { enqueueAndPeek: async (queue, requests) => tasks.enqueueAndPeek!(queue, await offload(queue, requests)) } : {}),
  };
  return new Proxy(tasks, { get: (target, key) => (key === "enqueue" || key === "enqueueAndPeek" ? wrapped[key] : Reflect.get(target, key)) });
}
