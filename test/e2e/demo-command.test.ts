/**
 * `npm run demo -- --exit` as a user runs it (minus the set-up step), on a small computation: it
 * checks its answer, stops every process it started, and removes the stack file it wrote, which
 * would otherwise point tools at closed ports.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the demo command", () => {
  it("checks its answer, then stops and removes its stack file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgeq-demo-"));
    const stackFile = join(dir, "stack.json");
    const args = ["--import", "tsx", "dev/demo.ts", "--exit", "--below", "1000000", "--tasks", "4", "--stack-file", stackFile];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let sawFile = false;
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
      // The file is there while the stack runs (it is written before the job starts).
      if (!sawFile && output.includes("Counting the primes")) sawFile = existsSync(stackFile);
    });
    child.stderr.on("data", (chunk) => (output += String(chunk)));
    try {
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect(code, output).toBe(0);
      expect(output).toContain("primes below 1,000,000: 78,498");
      expect(output).toContain("check: the distributed answer is right");
      expect(sawFile).toBe(true);
      expect(existsSync(stackFile)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
