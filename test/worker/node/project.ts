/**
 * The vitest projects of test/worker: "worker" runs the Worker and its tests inside workerd
 * (@cloudflare/vitest-pool-workers) against a real redis-server, REST server and QStash dev server;
 * "bundle" builds the deployable bundle offline in Node.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { fileURLToPath } from "node:url";
import type { TestProjectInlineConfiguration } from "vitest/config";
import { stackBindings } from "../../support/stack-bindings.js";
import { TEST_EDGEQ_TOKENS, WORKER_TEST_PREFIX } from "../fixtures.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The push sink (push-sink.ts): the Worker's EDGEQ_PUBLIC_URL in the worker tests. */
    pushSinkUrl: string;
    /** FUZZ_SEED from the environment ("" when unset): test/worker/fuzz.test.ts then uses its fixed seed. */
    fuzzSeed: string;
    /** EDGEQ_BIG_BLOBS=1: blob tests stream 100 MB instead of a few MB (test/worker/blobs.test.ts). */
    bigBlobs: boolean;
  }
}

const wranglerConfig = fileURLToPath(new URL("../../../wrangler.toml", import.meta.url));

export const workerProject: TestProjectInlineConfiguration = {
  extends: true,
  // The stack starts in this project's own global setup (a child process, see global-setup.ts) and
  // reaches the pool through inject: the bindings point the Worker at it, as .dev.vars does under
  // `wrangler dev`.
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: wranglerConfig },
      miniflare: {
        bindings: {
          // Pushes go to a recording sink, not to this Worker (workerd in the pool has no port).
          EDGEQ_PUBLIC_URL: inject("pushSinkUrl"),
          EDGEQ_TOKENS: TEST_EDGEQ_TOKENS,
          EDGEQ_LOG_LEVEL: "warn",
          // The push path: these tests read the pushes an enqueue publishes from the sink and deliver
          // them by hand. The inline start (the default) runs in test/e2e/inline-start.test.ts.
          EDGEQ_INLINE_START: "off",
          // Not the default: key-prefix.test.ts proves every key the Worker writes lands under it.
          EDGEQ_KEY_PREFIX: WORKER_TEST_PREFIX,
          ...stackBindings(inject),
        },
      },
    })),
  ],
  test: {
    name: "worker",
    include: ["test/worker/**/*.test.ts"],
    exclude: ["test/worker/node/**"],
    globalSetup: ["test/worker/node/global-setup.ts"],
    // Files run one after another: the scheduled handler sweeps every queue in Redis, and a sweep
    // running beside another file would claim that file's tasks.
    fileParallelism: false,
    provide: { fuzzSeed: process.env.FUZZ_SEED ?? "", bigBlobs: process.env.EDGEQ_BIG_BLOBS === "1" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
};

export const bundleProject: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: "bundle",
    include: ["test/worker/node/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
  },
};
