/**
 * Where payloads enter and leave the API: with EDGEQ_ENCRYPTION_KEYS set, task inputs are checked to
 * fit once sealed (sealingTasks, src/security/sealed-stores.ts, seals them on the way into the queue
 * core) and inputs and results are opened before a task is shown. With it unset, every function
 * here returns what it was given.
 */
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

/** Sealing makes an input about 4/3 larger: check the plaintext against what still fits once sealed. */
const MAX_SEALED_INPUT_BYTES = sealedCapacity(DEFAULT_MAX_INPUT_BYTES);

/** Refuses, naming the field, an input that would no longer fit once sealed (sealingTasks seals it). */
export function checkSealable(cipher: PayloadCipher | null, requests: readonly EnqueueRequest[], batch: boolean): void {
  if (!cipher) return;
  requests.forEach((request, i) => {
    const bytes = new TextEncoder().encode(JSON.stringify(request.input ?? null)).length;
    if (bytes > MAX_SEALED_INPUT_BYTES) {
      throw invalidField(batch ? `tasks[${i}].input` : "input", `is ${bytes} bytes of JSON; with encryption at rest the limit is ${MAX_SEALED_INPUT_BYTES}`);
    }
  });
}

/** The task as its owner sent it and as its function returned it (or failed). */
export async function openTask(env: Env, task: TaskRecord): Promise<TaskRecord> {
  const cipher = httpCipher(env);
  try {
    return await openTaskRecord(cipher, task);
  } catch (error) {
    if (error instanceof PayloadKeyError) throw misconfigured(error);
    throw error;
  }
}

export function openTasks(env: Env, tasks: readonly TaskRecord[]): Promise<TaskRecord[]> {
  return Promise.all(tasks.map((task) => openTask(env, task)));
}
