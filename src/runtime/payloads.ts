/**
 * Encryption at rest on the worker side: a claimed task's sealed input is opened just before its
 * function runs, and its result is sealed before the batch settles, so neither is ever stored in
 * the clear. With encryption off these cost one property check per task.
 */
import type { ClaimedTask } from "../queue/types";
import { isSealed, openPayload, type PayloadCipher } from "../security/cipher";
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

export async function sealResult(outcome: TaskOutcome, queue: string, cipher: PayloadCipher | null): Promise<TaskOutcome> {
  if (!cipher || !outcome.ok) return outcome;
  return { ...outcome, result: await cipher.seal(outcome.result, "result", queue) };
}
