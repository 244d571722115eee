/**
 * BullMQ, the peer, installed on demand into bench/.peer (git-ignored) and loaded from there. It stays
 * out of the project's package.json: its optional native dependencies (msgpackr-extract) break
 * `npm ci` with the npm this project pins, and nothing but the benchmark needs it.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const BULLMQ_VERSION = "5.81.5";

const PEER_DIR = fileURLToPath(new URL("./.peer", import.meta.url));
const BULLMQ_DIR = join(PEER_DIR, "node_modules", "bullmq");

/** Only what the benchmark uses of BullMQ's API, typed here since its types are not installed for tsc. */
export interface BullConnection {
  host: string;
  port: number;
  maxRetriesPerRequest: null;
}
export interface BullJob {
  id?: string;
  returnvalue: unknown;
}
export interface BullQueue {
  addBulk(jobs: { name: string; data: unknown }[]): Promise<BullJob[]>;
  getJob(id: string): Promise<BullJob | undefined>;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
export interface BullWorker {
  on(event: "completed", listener: (job: BullJob) => void): unknown;
  on(event: "failed", listener: (job: BullJob | undefined, error: Error) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
export interface BullMQ {
  version: string;
  Queue: new (name: string, options: { connection: BullConnection }) => BullQueue;
  Worker: new (
    name: string,
    processor: (job: BullJob) => Promise<unknown>,
    options: { connection: BullConnection; concurrency: number; autorun?: boolean },
  ) => BullWorker;
}

function installedVersion(): string | undefined {
  const manifest = join(BULLMQ_DIR, "package.json");
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

async function install(): Promise<void> {
  mkdirSync(PEER_DIR, { recursive: true });
  writeFileSync(join(PEER_DIR, ".gitignore"), "*\n");
  await promisify(execFile)(
    "npm",
    ["install", "--prefix", PEER_DIR, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `bullmq@${BULLMQ_VERSION}`],
    { timeout: 180_000 },
  );
}

/** BullMQ at the pinned version, installing it first when bench/.peer lacks it. */
export async function loadBullMQ(): Promise<BullMQ> {
  if (installedVersion() !== BULLMQ_VERSION) {
    console.error(`bench: installing bullmq@${BULLMQ_VERSION} into bench/.peer (benchmark only)`);
    await install();
  }
  const version = installedVersion();
  if (version !== BULLMQ_VERSION) throw new Error(`bench/.peer holds bullmq ${version ?? "nothing"} after install`);
  // Its ESM build imports directories, which Node's ESM loader refuses: load the CommonJS build.
  const module = createRequire(join(PEER_DIR, "package.json"))("bullmq") as Omit<BullMQ, "version">;
  return { version, Queue: module.Queue, Worker: module.Worker };
}
