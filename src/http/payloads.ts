/**
 * Where payloads enter and leave the API: with EDGEQ_ENCRYPTION_KEYS set, task inputs are sealed
 * before the queue core stores them and inputs and results are opened before a task is shown; with
 * a BLOBS bucket, inputs past 32 KiB go to R2 (after sealing) and references are resolved before a
 * task is shown (src/blobs/payloads.ts). With neither, every function here returns what it was given.
 */
import type { BlobBucket } from "../blobs/bucket";
import { INLINE_PAYLOAD_BYTES, jsonBytes, MAX_PAYLOAD_BYTES, offloadPayload, PayloadBlobError, resolvePayload } from "../blobs/payloads";
import type { Env } from "../env";
import { newTaskId } from "../queue/ids";
import { DEFAULT_MAX_INPUT_BYTES } from "../queue/index";
import type { EnqueueRequest, TaskRecord } from "../queue/types";
import { openPayload, openPayloadText, type PayloadCipher, PayloadKeyError, payloadCipher, sealedCapacity } from "../security/cipher";
import { invalidField, ProblemError } from "./problem";

function misconfigured(error: PayloadKeyError): ProblemError {
  return new ProblemError({ status: 500, kind: "misconfigured", title: "Server misconfigured", detail: error.message });
}

/** The cipher of this deployment, null when encryption is off; a malformed secret is a 500. */
export function httpCipher(env: Env): PayloadCipher | null {
  try {
    return payloadCipher(env.EDGEQ_ENCRYPTION_KEYS);
  } catch (error) {
    if (error instanceof PayloadKeyError) throw misconfigured(error);
    throw error;
  }
}

/** What a batch may hold inline (as the plain request body limit): Redis gets it in one request. */
const MAX_INLINE_BATCH_BYTES = 4 * 1024 * 1024;

/** Sealing makes an input about 4/3 larger: check the plaintext against what still fits once sealed. */
const MAX_SEALED_INPUT_BYTES = sealedCapacity(DEFAULT_MAX_INPUT_BYTES);

export async function sealInputs(env: Env, queue: string, requests: EnqueueRequest[], batch: boolean): Promise<EnqueueRequest[]> {
  const cipher = httpCipher(env);
  const bucket = env.BLOBS;
  if (!cipher && !bucket) return requests;
  // With R2, inputs up to 25 MB leave Redis; without it, a sealed input must fit the core's limit.
  const [limit, why] = bucket ? [MAX_PAYLOAD_BYTES, "the limit"] : [MAX_SEALED_INPUT_BYTES, "with encryption at rest the limit"];
  requests.forEach((request, i) => {
    const bytes = jsonBytes(request.input).length;
    if (bytes > limit) throw invalidField(batch ? `tasks[${i}].input` : "input", `is ${bytes} bytes of JSON; ${why} is ${limit}`);
  });
  const sealed = cipher ? await Promise.all(requests.map(async (request) => ({ ...request, input: await cipher.seal(request.input, "input", queue) }))) : requests;
  return bucket ? offloadInputs(bucket, queue, sealed) : sealed;
}

/** Inputs past the inline size go to R2 under their task's id (made here when the caller gave none). */
async function offloadInputs(bucket: BlobBucket, queue: string, requests: EnqueueRequest[]): Promise<EnqueueRequest[]> {
  let inlineBytes = 0;
  const stored = await Promise.all(
    requests.map(async (request) => {
      const bytes = jsonBytes(request.input).length;
      if (bytes <= INLINE_PAYLOAD_BYTES) {
        inlineBytes += bytes;
        return request;
      }
      const id = request.id ?? newTaskId(Date.now());
      return { ...request, id, input: await offloadPayload(bucket, request.input, { queue, taskId: id, kind: "input" }) };
    }),
  );
  // The body limit rose for large single inputs; what stays inline still goes to Redis in one request.
  if (inlineBytes > MAX_INLINE_BATCH_BYTES) {
    throw new ProblemError({ status: 413, kind: "payload-too-large", title: "Payload too large", detail: `The batch holds ${inlineBytes} bytes of small inputs; the limit is ${MAX_INLINE_BATCH_BYTES}: split the batch` });
  }
  return stored;
}

/** The task as its owner sent it and as its function returned it (or failed). */
export async function openTask(env: Env, task: TaskRecord): Promise<TaskRecord> {
  const cipher = httpCipher(env);
  try {
    const opened: TaskRecord = { ...task, input: await openPayload(cipher, await resolvePayload(env.BLOBS, task.input), "input", task.queue) };
    if (task.result !== undefined) opened.result = await openPayload(cipher, await resolvePayload(env.BLOBS, task.result), "result", task.queue);
    if (task.error !== undefined) opened.error = await openPayloadText(cipher, task.error, "error", task.queue);
    if (task.errors) opened.errors = await Promise.all(task.errors.map((error) => openPayloadText(cipher, error, "error", task.queue)));
    return opened;
  } catch (error) {
    if (error instanceof PayloadKeyError) throw misconfigured(error);
    if (error instanceof PayloadBlobError) throw new ProblemError({ status: 500, kind: "payload-unavailable", title: "Payload unavailable", detail: error.message });
    throw error;
  }
}

export function openTasks(env: Env, tasks: readonly TaskRecord[]): Promise<TaskRecord[]> {
  return Promise.all(tasks.map((task) => openTask(env, task)));
}
