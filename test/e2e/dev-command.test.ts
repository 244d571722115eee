import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { StackInfo } from "../../dev/stack";

const root = fileURLToPath(new URL("../..", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

// `npm run dev` as a user runs it (minus the set-up step, which the test run has done): it writes
// .edgeq/stack.json once every part answers, and Ctrl-C stops every process it started.
describe("the dev command", () => {
  it("starts the stack, describes it in .edgeq/stack.json, and stops everything on Ctrl-C", async () => {
    // Its own stack file, so that a stack a developer is running keeps its .edgeq/stack.json.
    const dir = mkdtempSync(join(tmpdir(), "edgeq-dev-"));
    const stackFile = join(dir, "stack.json");
    const child = spawn(process.execPath, ["--import", "tsx", "dev/dev.ts", "--stack-file", stackFile], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += String(chunk)));
    child.stderr.on("data", (chunk) => (output += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!output.includes("Ctrl-C stops everything")) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the stack did not come up:\n${output}`);
        await sleep(200);
      }
      const info = JSON.parse(readFileSync(stackFile, "utf8")) as StackInfo;
      expect(Object.keys(info).sort()).toEqual(
        ["apiToken", "qstashCurrentSigningKey", "qstashNextSigningKey", "qstashRedisPort", "qstashToken", "qstashUrl", "redisPort", "redisRestToken", "redisRestUrl", "workerUrl"],
      );
      const health = await fetch(`${info.workerUrl}/health`);
      expect(health.status).toBe(200);
      expect(info.qstashRedisPort).not.toBe(info.redisPort);
      const ports = [info.redisPort, info.qstashRedisPort, ...[info.workerUrl, info.redisRestUrl, info.qstashUrl].map((url) => Number(new URL(url).port))];
      for (const port of ports) expect(await portAnswers(port)).toBe(true);

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      for (const port of ports) expect(await portAnswers(port)).toBe(false);
      expect(existsSync(stackFile)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
