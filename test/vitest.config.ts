import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { fileURLToPath } from "node:url";
import { bundleProject, workerProject } from "./worker/node/project.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * The queue core, jobs, runtime and schedules files that together run every script (enqueue, start,
 * claim, settle, extend, cancel, dead, upkeep, stats, the jobs fold, schedules) again on a 3-master
 * Redis Cluster (about 30 s on 2 cores): a script
 * that touches a key outside its queue's hash tag fails there (CROSSSLOT), which proves the hash-tag
 * discipline Upstash's key locking relies on. EDGEQ_CLUSTER_TESTS=0 leaves them out.
 */
const CLUSTER_TESTS = process.env.EDGEQ_CLUSTER_TESTS !== "0";
const clusterProject: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: "cluster",
    include: ["queue-basics", "queue-leases", "flow-control", "queue-admin", "queue-start", "queue-stats", "jobs-exactly-once", "runtime-batch", "schedules-exactly-once"].map((name) => `test/integration/${name}.test.ts`),
    environment: "node",
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
};

// Node-side tests share one local stack (redis-server, REST server, QStash dev server) started in
// global-setup and handed to tests through `inject`. Worker tests run inside workerd (see test/worker).
export default defineConfig({
  root,
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/e2e/**/*.test.ts", "test/browser/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      ...(CLUSTER_TESTS ? [clusterProject] : []),
      workerProject,
      bundleProject,
    ],
  },
});
