import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServerHandle {
  port: number;
  /** redis://127.0.0.1:port */
  url: string;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  port?: number;
  /** AOF persistence (appendfsync everysec): what production users need so a restart loses nothing. */
  appendOnly?: boolean;
  /** Keep the data directory on stop (for restart tests). */
  dir?: string;
  /**
   * Cluster mode (dev/redis-cluster.ts): the node's cluster bus port. Redis would take port + 10000,
   * which may be in use or past 65535; an explicit free port (`cluster-port`, Redis 7) never is.
   */
  clusterBusPort?: number;
}

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.end();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** Starts a private redis-server on loopback (Debian's package; dev/setup.sh installs it). */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = options.port ?? (await freePort());
  const ownsDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "edgeq-redis-"));
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--dir", dir,
    "--save", "",
    "--appendonly", options.appendOnly ? "yes" : "no",
    "--protected-mode", "yes",
    "--loglevel", "warning",
    ...(options.clusterBusPort === undefined
      ? []
      : ["--cluster-enabled", "yes", "--cluster-port", String(options.clusterBusPort), "--cluster-config-file", join(dir, "nodes.conf"), "--cluster-node-timeout", "5000"]),
  ];
  // Its own process group: a Ctrl-C in the terminal must not kill redis-server before the servers
  // in front of it have shut down; the exit hook below still ends it if this process dies.
  const child = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", (error) => {
    stderr += `\n${error.message} (is redis-server installed? run: bash dev/setup.sh)`;
  });
  try {
    await waitForPort(port, 10_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    process: child,
    async stop() {
      process.off("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
