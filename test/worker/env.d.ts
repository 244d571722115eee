// Types of what the Workers pool hands tests: the Worker's bindings and its main module's exports.
import type { Env as WorkerEnv } from "../../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof import("../../src/index");
    }
  }
}
