import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * What runs the Worker: Miniflare's API over the bundle `wrangler deploy` builds (lean: no proxy in
 * front of workerd), or `wrangler dev` itself (file watching, its own proxy).
 */
export type WorkerHarness = "miniflare" | "wrangler";

export interface WorkerProcess {
  url: string;
  port: number;
  /** The harness's process (workerd runs as its child): bench/profile.ts reads its CPU time. */
  pid: number;
  /**
   * workerd's DevTools port (CPU profiles): always under wrangler dev, under Miniflare only with
   * EDGEQ_WORKER_INSPECT=1 in the environment.
   */
  inspectorPort: number | undefined;
  /**
   * Where the cron stand-in triggers the scheduled handler (`?cron=` appended): under Miniflare the
   * entry worker's own port, apart from `url`, which serves the Worker directly (miniflare-worker.ts).
   */
  scheduledUrl: string;
  /** Kills the process and its workerd children (the whole process group) at once, as a crash would. */
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
  /** Default "miniflare"; needs `bundleDir` (see buildBundle). */
  harness?: WorkerHarness;
  bundleDir?: string;
}

/** `wrangler deploy --dry-run --outdir`: the bundle that deploys, for the Miniflare harness. */
export async function buildBundle(outdir: string): Promise<void> {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  await promisify(execFile)("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], {
    cwd: projectRoot,
    env: { ...process.env, CLOUDFLARE_API_TOKEN: "", WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1", CI: "true" },
    timeout: 120_000,
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Worker process exited with ${child.exitCode}\n${output()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Worker process did not answer /health within ${timeoutMs} ms\n${output()}`);
}

/**
 * The entry worker's URL, from the line miniflare-worker.ts prints once ready (it may trail /health:
 * the direct socket answers before Miniflare's side has printed it). Waited for as long as /health
 * is: a 5 s wait failed a CI run's worker restart while its machine was loaded.
 */
async function triggersUrl(child: ChildProcess, timeoutMs: number, output: () => string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const url = /ready on \S+ triggers on (\S+)/.exec(output())?.[1];
    if (url) return url;
    if (child.exitCode !== null) throw new Error(`the Worker process exited with ${child.exitCode}\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Worker process did not say where its entry worker listens within ${timeoutMs} ms\n${output()}`);
}

function miniflareArgs(options: WorkerProcessOptions): string[] {
  if (!options.bundleDir) throw new Error("the miniflare harness needs bundleDir (buildBundle)");
  return [
    "--import", "tsx", "dev/miniflare-worker.ts",
    "--bundle", options.bundleDir,
    "--port", String(options.port),
    "--env-file", options.envFile,
    "--persist-to", options.persistTo,
    ...(process.env.EDGEQ_WORKER_INSPECT === "1" ? ["--inspector-port", String(options.inspectorPort)] : []),
  ];
}

function wranglerArgs(options: WorkerProcessOptions): string[] {
  return [
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
}

/** This project's Worker on a given port, with its bindings from an env file. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const harness = options.harness ?? "miniflare";
  const [command, args] = harness === "miniflare" ? [process.execPath, miniflareArgs(options)] : ["npx", wranglerArgs(options)];
  const child = spawn(command, args, {
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
  let scheduledUrl = `${url}/__scheduled`;
  try {
    await waitForHealth(url, child, 60_000, () => output);
    if (harness === "miniflare") scheduledUrl = `${await triggersUrl(child, 60_000, () => output)}/cdn-cgi/handler/scheduled`;
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    url,
    port: options.port,
    pid: child.pid!,
    inspectorPort: harness === "wrangler" || process.env.EDGEQ_WORKER_INSPECT === "1" ? options.inspectorPort : undefined,
    scheduledUrl,
    kill,
    get exited() {
      return exited;
    },
  };
}
