import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));

export interface WorkerProcess {
  url: string;
  port: number;
  /** Kills wrangler and its workerd children (the whole process group) at once, as a crash would. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: boolean;
}

export interface WorkerProcessOptions {
  port: number;
  envFile: string;
  /** Directory for wrangler's local state, so parallel stacks do not share one. */
  persistTo: string;
  inspectorPort: number;
  quiet?: boolean;
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}\n${output()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`wrangler dev did not answer /health within ${timeoutMs} ms\n${output()}`);
}

/** `wrangler dev` for this project, on a given port, with its bindings from an env file. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const args = [
    "wrangler", "dev",
    "--ip", "127.0.0.1",
    "--port", String(options.port),
    "--inspector-port", String(options.inspectorPort),
    "--env-file", options.envFile,
    "--persist-to", options.persistTo,
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    "--log-level", options.quiet ? "warn" : "info",
  ];
  const child = spawn("npx", args, {
    cwd: projectRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // No network but loopback: skip the Request.cf download and telemetry.
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true", NO_COLOR: "1" },
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + String(chunk)).slice(-20_000);
    if (!options.quiet) process.stderr.write(chunk);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const killGroupOnExit = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.once("exit", killGroupOnExit);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${options.port}`;
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    process.off("exit", killGroupOnExit);
    if (exited) return;
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
    await exit;
  };
  try {
    await waitForHealth(url, child, 60_000, () => output);
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    url,
    port: options.port,
    kill,
    get exited() {
      return exited;
    },
  };
}
