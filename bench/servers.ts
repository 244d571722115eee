/**
 * The servers a benchmark run owns: one private redis-server shared by every workload, and the
 * Upstash-compatible REST server in a process of its own, so that its CPU is not the benchmark
 * client's CPU and each can be measured apart (see cpu.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { startRedisServer } from "../dev/redis-server";

export interface BenchServers {
  redisPort: number;
  redisUrl: string;
  redisPid: number;
  restUrl: string;
  restToken: string;
  restPid: number;
  /** Why the REST server is gone (its exit and last output), or undefined while it runs. */
  restFailure(): string | undefined;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function waitForRestUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`REST server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const match = /on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += String(chunk)));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`REST server exited with ${code}:\n${output}`));
    });
  });
}

export async function startBenchServers(): Promise<BenchServers> {
  const redis = await startRedisServer();
  const restToken = randomBytes(24).toString("base64url");
  const rest = spawn(
    process.execPath,
    ["--import", "tsx", "dev/rest-server/main.ts", "--redis-url", redis.url, `--token=${restToken}`, "--port", "0"], // "=": a random token may start with "-",
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let restUrl: string;
  try {
    restUrl = await waitForRestUrl(rest, 20_000);
  } catch (error) {
    rest.kill("SIGKILL");
    await redis.stop();
    throw error;
  }
  let output = "";
  let failure: string | undefined;
  let stopping = false;
  rest.stderr?.on("data", (chunk: Buffer) => (output = (output + String(chunk)).slice(-2000)));
  const restExited = new Promise<void>((resolve) =>
    rest.once("exit", (code, signal) => {
      if (!stopping) failure = `REST server exited (${signal ?? code}): ${output.trim().split("\n").slice(-3).join(" / ")}`;
      resolve();
    }),
  );
  return {
    redisPort: redis.port,
    redisUrl: redis.url,
    redisPid: redis.process.pid ?? 0,
    restUrl,
    restToken,
    restPid: rest.pid ?? 0,
    restFailure: () => failure,
    async stop() {
      stopping = true;
      if (rest.exitCode === null && rest.signalCode === null) {
        rest.kill("SIGTERM");
        await restExited;
      }
      await redis.stop();
    },
  };
}
