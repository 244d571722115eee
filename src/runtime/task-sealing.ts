/**
 * Encryption at rest on the worker side: a claimed task's sealed input is opened just before its
 * function runs, and its result (or error text) is sealed before the batch settles, so none is
 * ever stored in the clear. With encryption off these cost one property check per task.
 */
import type { ClaimedTask } from "../queue/types";
import { MAX_ERROR_CHARS } from "../queue/validate";
import { isSealed, openPayload, type PayloadCipher, sealedCapacity } from "../security/index";
import type { TaskOutcome } from "./execute";

export async function openInput(
  task: ClaimedTask,
  cipher: PayloadCipher | null,
): Promise<{ ok: true; task: ClaimedTask } | { ok: false; error: string }> {
  if (!cipher && !isSealed(task.input)) return { ok: true, task };
  try {
    return { ok: true, task: { ...task, input: await openPayload(cipher, task.input, "input", task.queue) } };
  } catch (error) {
    // Retryable: a key dropped from EDGEQ_ENCRYPTION_KEYS too early can be put back.
    return { ok: false, error: `cannot open the task's input: ${(error as Error).message}` };
  }
}

/** The queue core cuts error texts at MAX_ERROR_CHARS: a sealed one must fit whole, or it would not open. */
const MAX_SEALED_ERROR_BYTES = sealedCapacity(MAX_ERROR_CHARS);

export async function sealResult(outcome: TaskOutcome, queue: string, cipher: PayloadCipher | null): Promise<TaskOutcome> {
  if (!cipher) return outcome;
  if (!outcome.ok) return { ...outcome, error: await cipher.sealText(withinBytes(outcome.error, MAX_SEALED_ERROR_BYTES), "error", queue) };
  return { ...outcome, result: await cipher.seal(outcome.result, "result", queue) };
}

function withinBytes(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = new TextEncoder().encode(text);
  return bytes.length <= maxBytes ? text : `${new TextDecoder().decode(bytes.slice(0, maxBytes - 3))}…`;
}
