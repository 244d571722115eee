/**
 * `npm run demo -- --data logs --mb N`: seeded access logs uploaded through the API, the log-stats
 * job over them on the local stack, and a single-process pass over the same objects (read back
 * through the API) in this process. Both MB/s are printed; the answers must agree exactly.
 * The bench (bench/log-stats.ts) runs the same steps.
 */
import { emptyTally, mergeTallies, tallyObject } from "../functions/log-lines";
import { summarize } from "../functions/log-stats";
import { runJobWithProgress } from "../src/client/cli/job-run";
import type { EdgeqClient } from "../src/client/index";
import { logFileText } from "./log-generator";

/** Each file one PUT of at most 16 MB: a 64 MB PUT to `wrangler dev` failed here with EPIPE (cause not yet found). */
export const MAX_FILE_MB = 16;

export interface LogUpload {
  prefix: string;
  bytes: number;
  files: number;
  seconds: number;
}

export async function uploadLogs(client: EdgeqClient, options: { mb: number; seed: number; prefix: string }): Promise<LogUpload> {
  const files = Math.max(1, Math.ceil(options.mb / MAX_FILE_MB));
  const perFile = Math.floor((options.mb * 1_000_000) / files);
  const started = Date.now();
  let bytes = 0;
  for (let file = 0; file < files; file++) {
    const body = new TextEncoder().encode(logFileText(options.seed, file, perFile));
    await client.blobs.put(`${options.prefix}day-${String(file).padStart(4, "0")}.log`, body, "text/plain");
    bytes += body.length;
  }
  return { prefix: options.prefix, bytes, files, seconds: (Date.now() - started) / 1000 };
}

/** Every object under the prefix read whole through GET /v1/blobs, tallied in this one process. */
export async function singleProcessPass(client: EdgeqClient, prefix: string): Promise<{ result: ReturnType<typeof summarize>; seconds: number }> {
  const started = Date.now();
  const tally = emptyTally();
  let cursor: string | undefined;
  do {
    const page = await client.blobs.list(prefix, cursor);
    for (const blob of page.blobs) {
      const response = await client.blobs.get(blob.key);
      mergeTallies(tally, await tallyObject(response.body!, blob.size));
    }
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return { result: summarize(tally), seconds: (Date.now() - started) / 1000 };
}

export interface LogStatsRun {
  upload: LogUpload;
  job: { seconds: number; tasks: number; mbPerSecond: number; result: unknown };
  single: { seconds: number; mbPerSecond: number };
  agrees: boolean;
}

export async function runLogStats(
  client: EdgeqClient,
  options: { mb: number; seed: number; chunkMb: number; queue: string; showProgress?: boolean; say?: (line: string) => void },
): Promise<LogStatsRun> {
  const say = options.say ?? (() => {});
  const prefix = `demo-logs/${options.seed}-${options.mb}mb/`;
  say(`uploading ${options.mb} MB of seeded access logs to ${prefix} through PUT /v1/blobs…`);
  const upload = await uploadLogs(client, { mb: options.mb, seed: options.seed, prefix });
  const mb = upload.bytes / 1e6;
  say(`uploaded ${mb.toFixed(1)} MB in ${upload.files} objects (${(mb / upload.seconds).toFixed(1)} MB/s)`);
  const input = { prefix, chunkBytes: Math.round(options.chunkMb * 1024 * 1024) };
  const { job, seconds } = await runJobWithProgress(client, "log-stats", input, { queue: options.queue, showProgress: options.showProgress ?? true });
  if (job.status !== "succeeded") throw new Error(`log-stats ended ${job.status}: ${job.error ?? ""}`);
  const single = await singleProcessPass(client, prefix);
  return {
    upload,
    job: { seconds, tasks: job.total, mbPerSecond: mb / seconds, result: job.result },
    single: { seconds: single.seconds, mbPerSecond: mb / single.seconds },
    // Everything agrees, quantiles too: the sketch's bins are counts, the same whatever the fold order.
    agrees: JSON.stringify(job.result) === JSON.stringify(single.result),
  };
}
