import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";
import { bundleProject, workerProject } from "./worker/node/project.js";

const root = fileURLToPath(new URL("..", import.meta.url));

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
      workerProject,
      bundleProject,
    ],
  },
});
