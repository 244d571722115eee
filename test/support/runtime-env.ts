/** Worker bindings (src/env.ts) pointing at the test run's REST server and QStash dev server. */
import { inject } from "vitest";
import type { Env } from "../../src/env";

export function testEnv(publicUrl: string): Env {
  return {
    EDGEQ_PUBLIC_URL: publicUrl,
    EDGEQ_TOKENS: "",
    EDGEQ_LOG_LEVEL: "warn",
    UPSTASH_REDIS_REST_URL: inject("restUrl"),
    UPSTASH_REDIS_REST_TOKEN: inject("restToken"),
    QSTASH_URL: inject("qstashUrl"),
    QSTASH_TOKEN: inject("qstashToken"),
    QSTASH_CURRENT_SIGNING_KEY: inject("qstashCurrentSigningKey"),
    QSTASH_NEXT_SIGNING_KEY: inject("qstashNextSigningKey"),
  };
}
