/** Worker bindings (src/env.ts) pointing at the test run's REST server and QStash dev server. */
import { inject } from "vitest";
import type { Env } from "../../src/env";
import { stackBindings } from "./stack-bindings";

/** `prefix`: the test file's keyspace (testKeyspace), so that its keys are its own and cleaned up. */
export function testEnv(publicUrl: string, prefix?: string): Env {
  return {
    EDGEQ_PUBLIC_URL: publicUrl,
    ...(prefix ? { EDGEQ_KEY_PREFIX: prefix } : {}),
    EDGEQ_TOKENS: "",
    EDGEQ_LOG_LEVEL: "warn",
    ...stackBindings(inject),
  };
}
