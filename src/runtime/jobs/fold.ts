/**
 * Folds a queue's outbox into its jobs: take the queue's fold lease with up to ROUND_SIZE entries,
 * read their jobs, reduce in JS (plan.ts), commit under the lease; again while entries are left.
 * Exactly once: an entry leaves the outbox in the same script that adds it to its job, and only
 * while the folder's lease token is current. A folder that dies loses its lease, and the next one
 * folds the same entries. One folder per queue at a time: the others return at once, and the one
 * holding the lease sees their entries before it lets go (the commit releases the lease only
 * after counting what is left). A folder may die holding a round, or after settling and before it
 * folds: fold pushes (fold-push.ts) bring a worker back for what it left.
 */
import { PAYLOAD_REF_FIELD, resolvePayload, type BlobBucket } from "../../blobs/index";
import type { JobEvent, JobState, JobStore } from "../../queue/jobs/index";
import type { PayloadCipher } from "../../security/index";
import type { Clock } from "../budget";
import type { Logger } from "../logger";
import type { FunctionRegistry } from "../registry";
import { planFold } from "./plan";

export const ROUND_SIZE = 200;
export const FOLD_LEASE_MS = 15_000;

export interface FoldDeps {
  jobs: JobStore;
  /** The fold lease of a round (FOLD_LEASE_MS unless a test shortens it). */
  leaseMs?: number;
  functions: Pick<FunctionRegistry, "job">;
  clock: Clock;
  log: Logger;
  /** Encryption at rest: map results arrive sealed (see src/runtime/task-sealing.ts) and are opened to fold. */
  payloads?: PayloadCipher | null;
  /** Map results past 32 KiB arrive as references to R2 (src/blobs/payloads.ts) and are read to fold. */
  bucket?: BlobBucket;
  /** Called once for each job this folder finished as failed: its pending tasks are canceled. */
  onJobFailed(jobId: string, queue: string, total: number): Promise<void>;
  /** Called once for each job this folder finished, whatever its status (completion callbacks). */
  onJobFinished?(jobId: string, queue: string): Promise<unknown>;
}

export interface FoldTally {
  rounds: number;
  folded: number;
  finished: string[];
  /**
   * Why the fold stopped. `done`: the outbox was empty. `busy`: another folder holds the lease until
   * `leaseEndsAt`. `lease-lost`: its commit was refused or answered so (a replay after a lost reply),
   * and entries may be left with no lease held. `time`: `untilMs` came with entries left.
   */
  stop: { reason: "done" | "lease-lost" | "time" } | { reason: "busy"; leaseEndsAt: number };
}

/** Folds until the outbox is empty, another folder holds the lease, or `untilMs` passes. */
export async function foldQueue(queue: string, deps: FoldDeps, untilMs: number): Promise<FoldTally> {
  const tally: FoldTally = { rounds: 0, folded: 0, finished: [], stop: { reason: "time" } };
  while (deps.clock.now() < untilMs) {
    const round = await deps.jobs.takeFold(queue, ROUND_SIZE, deps.leaseMs ?? FOLD_LEASE_MS);
    if (round === "empty") return { ...tally, stop: { reason: "done" } };
    if ("busy" in round) return { ...tally, stop: { reason: "busy", leaseEndsAt: round.leaseEndsAt } };
    const jobIds = [...new Set(round.events.map((event) => event.jobId))];
    const states = new Map<string, JobState | null>();
    (await deps.jobs.states(jobIds)).forEach((state, i) => states.set(jobIds[i]!, state));
    const events = deps.payloads || deps.bucket ? await openResults(round.events, queue, deps.payloads ?? null, deps.bucket) : round.events;
    const commits = planFold(events, states, (fn) => deps.functions.job(fn));
    const outcome = await deps.jobs.commitFold(queue, round, commits);
    tally.rounds++;
    if (!outcome.ok) {
      // "changed": a dead task was retried meanwhile; read again. A lost lease: another folder took
      // over, or this commit went through and its reply was lost; the caller knows who comes next.
      if (outcome.reason === "changed") continue;
      return { ...tally, stop: { reason: "lease-lost" } };
    }
    tally.folded += round.events.length;
    for (const commit of commits) {
      if (!commit.final) continue;
      tally.finished.push(commit.jobId);
      const state = states.get(commit.jobId);
      deps.log.info("job finished", { jobId: commit.jobId, queue, status: commit.final.status });
      if (commit.final.status === "failed" && state) await deps.onJobFailed(commit.jobId, queue, state.total);
      await deps.onJobFinished?.(commit.jobId, queue);
    }
    if (outcome.left === 0) return { ...tally, stop: { reason: "done" } };
  }
  return tally;
}

/** Map results as the map function returned them; `raw` stays as stored, for the commit's check. */
function openResults(events: readonly JobEvent[], queue: string, payloads: PayloadCipher | null, bucket: BlobBucket | undefined): Promise<JobEvent[]> {
  return Promise.all(
    events.map(async (event) => {
      if (event.result === null) return event;
      // Most results are small and in the clear: only a reference or a sealed value is parsed here.
      const stored = event.result.startsWith(`{"${PAYLOAD_REF_FIELD}"`) ? await resolvePayload(bucket, JSON.parse(event.result)) : null;
      if (!payloads) return stored === null ? event : { ...event, result: JSON.stringify(stored) };
      return { ...event, result: JSON.stringify(await payloads.open(stored ?? JSON.parse(event.result), "result", queue)) };
    }),
  );
}
