import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Target {
  url: string;
  token: string;
}

/**
 * Where the CLI points: --url/--token, else EDGEQ_URL/EDGEQ_TOKEN, else the local stack that
 * `npm run dev` described in .edgeq/stack.json.
 */
export function resolveTarget(flags: { url?: string; token?: string }, cwd = process.cwd()): Target {
  let url = flags.url ?? process.env.EDGEQ_URL;
  let token = flags.token ?? process.env.EDGEQ_TOKEN;
  const stackFile = join(cwd, ".edgeq", "stack.json");
  if ((!url || !token) && existsSync(stackFile)) {
    const stack = JSON.parse(readFileSync(stackFile, "utf8")) as { workerUrl: string; apiToken: string };
    url ??= stack.workerUrl;
    token ??= stack.apiToken;
  }
  if (!url || !token) {
    throw new Error("no deployment to talk to: pass --url and --token, set EDGEQ_URL and EDGEQ_TOKEN, or start the local stack with `npm run dev`");
  }
  return { url, token };
}
