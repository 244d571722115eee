/**
 * Encryption at rest on the worker side: a claimed task's sealed input is opened just before its
 * function runs, and its result (or error text) is sealed before the batch settles, so none is
 * ever stored in the clear. With encryption off these cost one property check per task.
 * With a BLOBS bucket, an input kept in R2 is read back first and a result past 32 KiB is written
 * there (after sealing), Redis keeping the reference (src/blobs/payloads.ts).
 */
import { isPayloadRef, offloadPayload, resolvePayload, type BlobBucket } from "../blobs/index";
import { DEFAULT_PREFIX } from "../queue/index";
import type { ClaimedTask } from "../queue/types";
import { MAX_ERROR_CHARS } from "../queue/validate";
import { isSealed, openPayload, type PayloadCipher, sealedCapacity } from "../security/index";
import type { TaskOutcome } from "./execute";

export async function openInput(
  task: ClaimedTask,
  cipher: PayloadCipher | null,
  bucket?: BlobBucket,
): Promise<{ ok: true; task: ClaimedTask } | { ok: false; error: string }> {
  if (!cipher && !isSealed(task.input) && !isPayloadRef(task.input)) return { ok: true, task };
  try {
    return { ok: true, task: { ...task, input: await openPayload(cipher, await resolvePayload(bucket, task.input), "input", task.queue) } };
  } catch (error) {
    // Retryable: a key dropped from EDGEQ_ENCRYPTION_KEYS too early can be put back.
    return { ok: false, error: `cannot open the task's input: ${(error as Error).message}` };
  }
}

/** The queue core cuts error texts at MAX_ERROR_CHARS: a sealed one must fit whole, or it would not open. */
const MAX_SEALED_ERROR_BYTES = sealedCapacity(MAX_ERROR_CHARS);

/** `keyPrefix`: the deployment's, which the names of payload blobs carry. */
export async function sealResult(outcome: TaskOutcome, task: ClaimedTask, cipher: PayloadCipher | null, bucket?: BlobBucket, keyPrefix = DEFAULT_PREFIX): Promise<TaskOutcome> {
  const queue = task.queue;
  if (!outcome.ok) return cipher ? { ...outcome, error: await cipher.sealText(withinBytes(outcome.error, MAX_SEALED_ERROR_BYTES), "error", queue) } : outcome;
  const result = cipher ? await cipher.seal(outcome.result, "result", queue) : outcome.result;
  if (!bucket) return cipher ? { ...outcome, result } : outcome;
  try {
    return { ...outcome, result: await offloadPayload(bucket, result, { prefix: keyPrefix, queue, ownerId: task.id, kind: "result" }) };
  } catch (error) {
    // R2 did not take it: another attempt may succeed, and nothing half-stored is referenced.
    return { ok: false, retryable: true, error: `could not store the result in R2: ${(error as Error).message}`, durationMs: outcome.durationMs };
  }
}

function withinBytes(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = new TextEncoder().encode(text);
  return bytes.length <= maxBytes ? text : `${new TextDecoder().decode(bytes.slice(0, maxBytes - 3))}…`;
}
