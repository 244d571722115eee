/** The Worker bindings (src/env.ts) that reach the test run's REST server and QStash dev server. */
export type StackValue = "restUrl" | "restToken" | "qstashUrl" | "qstashToken" | "qstashCurrentSigningKey" | "qstashNextSigningKey";

/** `read` is whichever `inject` the caller has: vitest's in a test, the pool's in a project config. */
export function stackBindings(read: (key: StackValue) => string) {
  return {
    UPSTASH_REDIS_REST_URL: read("restUrl"),
    UPSTASH_REDIS_REST_TOKEN: read("restToken"),
    QSTASH_URL: read("qstashUrl"),
    QSTASH_TOKEN: read("qstashToken"),
    QSTASH_CURRENT_SIGNING_KEY: read("qstashCurrentSigningKey"),
    QSTASH_NEXT_SIGNING_KEY: read("qstashNextSigningKey"),
  };
}
