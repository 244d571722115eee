/**
 * `edgeq blob put|get|ls|rm`. Files up to --part-mb go up in one request; larger ones as a
 * multipart upload whose progress (upload id and each part's ETag) is saved under .edgeq/uploads/,
 * so that a put stopped midway (Ctrl-C, a lost network, --max-parts) resumes where it stopped.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BlobClient } from "../blobs";
import type { UploadedPart } from "../types";
import { createProgressBar, MEGABYTES } from "./progress";

const MIB = 1024 * 1024;
/** R2 takes parts of 5 MiB at least (but the last); the Worker takes bodies of 100 MB at most. */
const MIN_PART_MB = 5;
const MAX_PART_MB = 95;

interface UploadState {
  key: string;
  size: number;
  mtimeMs: number;
  partBytes: number;
  uploadId: string;
  parts: Record<string, string>;
}

export interface PutOptions {
  partMb: number;
  /** Upload at most this many parts in this run, then stop (run again to go on). */
  maxParts?: number;
}

function statePath(file: string, key: string): string {
  const id = createHash("sha256").update(`${resolve(file)}\n${key}`).digest("hex").slice(0, 24);
  return join(".edgeq", "uploads", `${id}.json`);
}

async function readState(path: string): Promise<UploadState | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as UploadState;
  } catch {
    return null;
  }
}

/** "done" with the blob's info, or "paused" when --max-parts stopped it. */
export async function putFile(blobs: BlobClient, file: string, key: string, options: PutOptions): Promise<{ done: true; info: unknown } | { done: false; uploaded: number; parts: number }> {
  if (!(options.partMb >= MIN_PART_MB && options.partMb <= MAX_PART_MB)) throw new Error(`--part-mb must be ${MIN_PART_MB} to ${MAX_PART_MB}`);
  const { size, mtimeMs } = await stat(file);
  const partBytes = Math.floor(options.partMb * MIB);
  if (size <= partBytes) return { done: true, info: await blobs.put(key, new Uint8Array(await readFile(file))) };

  const path = statePath(file, key);
  let state = await readState(path);
  // A changed file or part size cannot continue an old upload: start again.
  if (!state || state.size !== size || state.mtimeMs !== mtimeMs || state.partBytes !== partBytes) {
    const { uploadId } = await blobs.startUpload(key);
    state = { key, size, mtimeMs, partBytes, uploadId, parts: {} };
    await mkdir(join(".edgeq", "uploads"), { recursive: true });
    await writeFile(path, JSON.stringify(state));
  }
  const count = Math.ceil(size / partBytes);
  const bar = createProgressBar(process.stderr, 30, MEGABYTES);
  const handle = await open(file, "r");
  let sent = 0;
  try {
    for (let part = 1; part <= count; part++) {
      const offset = (part - 1) * partBytes;
      const length = Math.min(partBytes, size - offset);
      bar.update(Object.keys(state.parts).length === count ? size : Math.min(size, Object.keys(state.parts).length * partBytes), size);
      if (state.parts[part]) continue;
      if (options.maxParts !== undefined && sent >= options.maxParts) {
        bar.finish();
        return { done: false, uploaded: Object.keys(state.parts).length, parts: count };
      }
      const body = new Uint8Array(length);
      await handle.read(body, 0, length, offset);
      state.parts[part] = (await blobs.uploadPart(key, state.uploadId, part, body)).etag;
      sent++;
      await writeFile(path, JSON.stringify(state));
    }
    bar.update(size, size);
    bar.finish();
  } finally {
    await handle.close();
  }
  const parts: UploadedPart[] = Object.entries(state.parts).map(([n, etag]) => ({ partNumber: Number(n), etag })).sort((a, b) => a.partNumber - b.partNumber);
  const info = await blobs.completeUpload(key, state.uploadId, parts);
  await rm(path, { force: true });
  return { done: true, info };
}

/** Streams a blob to a file (with a progress bar) or to stdout. */
export async function getFile(blobs: BlobClient, key: string, file: string | undefined): Promise<number> {
  const response = await blobs.get(key);
  const size = Number(response.headers.get("content-length") ?? 0);
  if (!response.body) return 0;
  const source = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
  if (!file) {
    await pipeline(source, process.stdout);
    return size;
  }
  const bar = createProgressBar(process.stderr, 30, MEGABYTES);
  let got = 0;
  source.on("data", (chunk: Buffer) => bar.update((got += chunk.length), size));
  await pipeline(source, createWriteStream(file));
  bar.finish();
  return got;
}

/** Every blob under the prefix, following cursors. */
export async function listAll(blobs: BlobClient, prefix: string): Promise<{ key: string; size: number }[]> {
  const all: { key: string; size: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await blobs.list(prefix, cursor);
    all.push(...page.blobs.map(({ key, size }) => ({ key, size })));
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return all;
}
