/**
 * Tokens the worker tests present, one per scope shape. The Worker under test gets them through its
 * EDGEQ_TOKENS binding (see project.ts); they exist only in tests.
 */
export const TEST_TOKENS = {
  admin: "test-admin-7c1d9e0f4a2b8c35",
  enqueue: "test-enqueue-3f8a2d6c1b9e0f47",
  read: "test-read-9b2e4f7a0c1d8e63",
  enqueueRead: "test-enqueue-read-5d0c8b3a7e2f1964",
} as const;

/** The Worker's EDGEQ_KEY_PREFIX in the worker tests (see key-prefix.test.ts). */
export const WORKER_TEST_PREFIX = "wtest";

/** Every test token in the EDGEQ_TOKENS format, mixing both separators the parser accepts. */
export const TEST_EDGEQ_TOKENS = [
  `${TEST_TOKENS.admin}:admin`,
  `${TEST_TOKENS.enqueue}:enqueue`,
  `${TEST_TOKENS.read}:read`,
].join("; ") + `, ${TEST_TOKENS.enqueueRead}:enqueue+read`;


/** One push the sink (push-sink.ts) received: what QStash delivered to the Worker's public URL. */
export interface RecordedDelivery {
  path: string;
  body: string;
  signature: string | null;
  messageId: string | null;
}
