/** Starts the local balancer in a process of its own (balancer-main.ts) and stops it. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Balancer } from "./balancer";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));

export interface BalancerProcess extends Balancer {
  pid: number;
}

export function spawnBalancer(port: number, backends: readonly string[], timeoutMs = 30_000): Promise<BalancerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "dev/balancer-main.ts", "--port", String(port), ...backends.flatMap((url) => ["--backend", url])], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    let listening = false;
    const fail = (why: string) => {
      if (listening) return;
      clearTimeout(timer);
      void close().then(() => reject(new Error(`the balancer process ${why}\n${output}`)));
    };
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    child.stderr.on("data", (chunk: Buffer) => (output = (output + String(chunk)).slice(-5_000)));
    child.stdout.on("data", (chunk: Buffer) => {
      output = (output + String(chunk)).slice(-5_000);
      const line = /listening (\S+)/.exec(output);
      if (line && !listening) {
        listening = true;
        clearTimeout(timer);
        resolve({ url: line[1]!, port, pid: child.pid!, close });
      }
    });
    child.once("exit", (code) => fail(`exited with ${code}`));
  });
}
