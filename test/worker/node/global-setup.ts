/**
 * Global setup of the "worker" project: starts the shared stack in a child Node process (see
 * stack-process.ts) and provides its URLs, tokens and signing keys to the pool, whose options turn
 * them into the Worker's bindings.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { ProvidedContext } from "vitest";
import type { TestProject } from "vitest/node";

const stackScript = fileURLToPath(new URL("./stack-process.ts", import.meta.url));
const root = fileURLToPath(new URL("../../..", import.meta.url));
const START_TIMEOUT_MS = 60_000;

export default async function setup(project: TestProject) {
  const child = spawn(process.execPath, ["--import", "tsx", stackScript], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const provided = await firstLine(child, START_TIMEOUT_MS).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  const context = JSON.parse(provided) as ProvidedContext;
  for (const key of Object.keys(context) as (keyof ProvidedContext)[]) project.provide(key, context[key]);
  return async () => {
    const exited = once(child, "exit");
    child.stdin?.end();
    await exited;
  };
}

function firstLine(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`test stack did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code) => reject(new Error(`test stack exited with code ${code} before starting`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const end = text.indexOf("\n");
      if (end >= 0) {
        clearTimeout(timer);
        resolve(text.slice(0, end));
      }
    });
  });
}
