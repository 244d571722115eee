/**
 * Where payloads enter and leave the API: with EDGEQ_ENCRYPTION_KEYS set, task inputs are checked to
 * fit once sealed (sealingTasks, src/security/sealed-stores.ts, seals them on the way into the queue
 * core) and inputs and results are opened before a task is shown. With it unset, every function
 * here returns what it was given. With a BLOBS bucket, inputs and results kept in R2 (src/blobs)
 * are read back before a task is shown, and an input may be up to 25 MB.
 */
import { INLINE_PAYLOAD_BYTES, jsonBytes, MAX_PAYLOAD_BYTES, PayloadBlobError, resolvePayload, type BlobBucket } from "../blobs/index";
import type { Env } from "../env";
import { DEFAULT_MAX_INPUT_BYTES } from "../queue/index";
import type { EnqueueRequest, TaskRecord } from "../queue/types";
import { openTaskRecord, type PayloadCipher, PayloadKeyError, payloadCipher, sealedCapacity } from "../security/index";
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

/**
 * Refuses, naming the field, an input over its limit: 25 MB with R2 bound (large inputs go there,
 * offloadingTasks), otherwise what still fits the queue core once sealed (sealingTasks seals it);
 * and, with R2, a batch whose small inputs, kept inline, would not fit one Redis request.
 */
export function checkInputSizes(cipher: PayloadCipher | null, bucket: BlobBucket | undefined, requests: readonly EnqueueRequest[], batch: boolean): void {
  if (!cipher && !bucket) return;
  const [limit, why] = bucket ? [MAX_PAYLOAD_BYTES, "the limit"] : [MAX_SEALED_INPUT_BYTES, "with encryption at rest the limit"];
  let inlineBytes = 0;
  requests.forEach((request, i) => {
    const bytes = jsonBytes(request.input).length;
    if (bytes > limit) throw invalidField(batch ? `tasks[${i}].input` : "input", `is ${bytes} bytes of JSON; ${why} is ${limit}`);
    if (bytes <= INLINE_PAYLOAD_BYTES) inlineBytes += bytes;
  });
  if (bucket && inlineBytes > MAX_INLINE_BATCH_BYTES) {
    throw new ProblemError({ status: 413, kind: "payload-too-large", title: "Payload too large", detail: `The batch holds ${inlineBytes} bytes of small inputs; the limit is ${MAX_INLINE_BATCH_BYTES}: split the batch` });
  }
}

/** The task as its owner sent it and as its function returned it (or failed). */
export async function openTask(env: Env, task: TaskRecord): Promise<TaskRecord> {
  const cipher = httpCipher(env);
  try {
    // Values kept in R2 are read back (and checked) first; sealed ones are opened after.
    const stored: TaskRecord = { ...task, input: await resolvePayload(env.BLOBS, task.input) };
    if (task.result !== undefined) stored.result = await resolvePayload(env.BLOBS, task.result);
    return await openTaskRecord(cipher, stored);
  } catch (error) {
    if (error instanceof PayloadKeyError) throw misconfigured(error);
    if (error instanceof PayloadBlobError) throw new ProblemError({ status: 500, kind: "payload-unavailable", title: "Payload unavailable", detail: error.message });
    throw error;
  }
}

export function openTasks(env: Env, tasks: readonly TaskRecord[]): Promise<TaskRecord[]> {
  return Promise.all(tasks.map((task) => openTask(env, task)));
}
