/** Worker bindings (src/env.ts) pointing at the test run's REST server and QStash dev server. */
import { inject } from "vitest";
import type { Env } from "../../src/env";
import { stackBindings } from "./stack-bindings";

export function testEnv(publicUrl: string): Env {
  return {
    EDGEQ_PUBLIC_URL: publicUrl,
    EDGEQ_TOKENS: "",
    EDGEQ_LOG_LEVEL: "warn",
    ...stackBindings(inject),
  };
}
